//! Runtimes: how a function's process is started for its `Runtime`. `provided.*` functions
//! run their own `bootstrap`; Python and Node.js functions run our small bootstraps (shipped
//! inside this crate, written to the state dir) with the interpreter found on this machine;
//! any other runtime cannot run here, and says why.

use std::path::{Path, PathBuf};

/// gatehouse's Python bootstrap (standard library only).
pub const PYTHON_BOOTSTRAP: &str = include_str!("../runtimes/bootstrap.py");
/// gatehouse's Node.js bootstrap (Node core modules only).
pub const NODE_BOOTSTRAP: &str = include_str!("../runtimes/bootstrap.mjs");

/// The family of a `Runtime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Family {
    /// `provided`, `provided.al2`, `provided.al2023`: an executable `bootstrap`.
    Provided,
    /// `python3.X`.
    Python {
        /// `3.12`.
        version: String,
    },
    /// `nodejsN.x`.
    Node {
        /// `20`.
        major: String,
    },
    /// Anything else (java*, dotnet*, ruby*, go1.x): no runtime for it here.
    Unsupported,
}

/// The family of `runtime`.
pub fn family(runtime: &str) -> Family {
    if runtime.starts_with("provided") {
        Family::Provided
    } else if let Some(v) = runtime.strip_prefix("python") {
        Family::Python {
            version: v.to_string(),
        }
    } else if let Some(v) = runtime
        .strip_prefix("nodejs")
        .and_then(|v| v.strip_suffix(".x"))
    {
        Family::Node {
            major: v.to_string(),
        }
    } else {
        Family::Unsupported
    }
}

/// An interpreter found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// Its path.
    pub program: PathBuf,
    /// What it says its version is (`3.11.7`, `20.20.2`).
    pub version: String,
}

/// `name` on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What `program --version` says its version is, when it runs and says `<prefix><version>`
/// (a shim that cannot find its interpreter, as pyenv's can, says nothing of the kind).
fn version_of(program: &Path, prefix: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .trim()
    .to_string();
    let v = text.strip_prefix(prefix)?.trim();
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then(|| v.to_string())
}

/// The Python for `python<version>`: `python<version>` if this machine has it (and it runs),
/// else `python3`. Blocking (runs the interpreters for their versions).
pub fn python(version: &str) -> Result<Interpreter, String> {
    for name in [format!("python{version}"), "python3".to_string()] {
        if let Some(program) = on_path(&name)
            && let Some(version) = version_of(&program, "Python ")
        {
            return Ok(Interpreter { program, version });
        }
    }
    Err(format!(
        "no python{version} or python3 that runs on PATH: install Python 3 to run this function"
    ))
}

/// The Node.js on this machine (`node`). Blocking.
pub fn node() -> Result<Interpreter, String> {
    let program = on_path("node").ok_or("no node on PATH: install Node.js to run this function")?;
    let version = version_of(&program, "v")
        .ok_or_else(|| format!("{} did not say its version", program.display()))?;
    Ok(Interpreter { program, version })
}

/// Whether an interpreter's `X.Y.Z` is the runtime's `X.Y` (Python) or `X` (Node).
pub fn matches(found: &str, wanted: &str) -> bool {
    found == wanted || found.starts_with(&format!("{wanted}."))
}

/// Writes the bootstraps into `dir` (once per start) and returns their paths (Python, Node).
pub fn write_bootstraps(dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    common::fs::create_private_dir(dir)?;
    let py = dir.join("gatehouse_bootstrap.py");
    let js = dir.join("gatehouse_bootstrap.mjs");
    common::fs::write_private(&py, PYTHON_BOOTSTRAP.as_bytes())?;
    common::fs::write_private(&js, NODE_BOOTSTRAP.as_bytes())?;
    Ok((py, js))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_fall_into_families() {
        assert_eq!(family("provided.al2023"), Family::Provided);
        assert_eq!(
            family("python3.12"),
            Family::Python {
                version: "3.12".into()
            }
        );
        assert_eq!(family("nodejs20.x"), Family::Node { major: "20".into() });
        assert_eq!(family("java17"), Family::Unsupported);
        assert!(matches("3.12.1", "3.12"));
        assert!(!matches("3.11.7", "3.1"));
        assert!(matches("20.20.2", "20"));
    }
}
