//! Dependencies as `sam build` installs them: a `requirements.txt` with pip, a `package.json`
//! with npm (production dependencies only), each into a folder of its own in the state dir.
//! An install is kept while the manifest and lockfile it came from are byte for byte the same,
//! so a second `gatehouse up` installs nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

/// A failed install, with what the tool said.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    /// The tool could not be run.
    #[error("cannot run {tool}: {err} (is it installed and on PATH?)")]
    Tool {
        /// pip or npm.
        tool: String,
        /// Why.
        err: std::io::Error,
    },
    /// The install failed.
    #[error("{tool} could not install {what}:\n{output}")]
    Failed {
        /// The command.
        tool: String,
        /// What it was to install (`the dependencies in <manifest>`, `boto3==…`).
        what: String,
        /// What it printed.
        output: String,
    },
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

/// The stamp an install leaves: the manifest and lockfile it came from.
const STAMP: &str = ".gatehouse-installed";

fn io(p: &Path, e: std::io::Error) -> DepsError {
    DepsError::Io(format!("{}: {e}", p.display()))
}

/// The bytes of `files` (those that exist), each behind its name: what an install depends on.
fn inputs(files: &[PathBuf]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        if let Ok(bytes) = std::fs::read(f) {
            out.extend_from_slice(f.file_name().map_or(&b""[..], |n| n.as_encoded_bytes()));
            out.push(0);
            out.extend_from_slice(&bytes);
            out.push(0);
        }
    }
    out
}

/// Whether `target` holds an install of exactly `inputs`.
fn installed(target: &Path, inputs: &[u8]) -> bool {
    std::fs::read(target.join(STAMP)).is_ok_and(|s| s == inputs)
}

async fn run(cmd: Command, tool: &str, manifest: &Path) -> Result<(), DepsError> {
    run_tool(
        cmd,
        tool,
        &format!("the dependencies in {}", manifest.display()),
    )
    .await
}

/// Runs an installing `tool`; its output becomes the error when it fails.
pub(crate) async fn run_tool(mut cmd: Command, tool: &str, what: &str) -> Result<(), DepsError> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|err| DepsError::Tool {
            tool: tool.into(),
            err,
        })?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(DepsError::Failed {
        tool: tool.into(),
        what: what.to_string(),
        output: output.trim().to_string(),
    })
}

/// Makes `target` empty (a failed or outdated install goes).
pub(crate) fn fresh(target: &Path) -> Result<(), DepsError> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| io(target, e))?;
    }
    std::fs::create_dir_all(target).map_err(|e| io(target, e))
}

/// `python -m pip install --target target`, quietly, for the packages the caller adds.
pub(crate) fn pip_install(python: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--target",
    ])
    .arg(target);
    cmd
}

/// `pip install -r requirements -t target` with `python`, unless `target` already holds it.
/// Returns whether it installed.
pub async fn pip(python: &Path, requirements: &Path, target: &Path) -> Result<bool, DepsError> {
    let inputs = inputs(&[requirements.to_path_buf()]);
    if installed(target, &inputs) {
        return Ok(false);
    }
    fresh(target)?;
    let mut cmd = pip_install(python, target);
    cmd.arg("-r").arg(requirements);
    run(cmd, "pip", requirements).await?;
    std::fs::write(target.join(STAMP), &inputs).map_err(|e| io(target, e))?;
    Ok(true)
}

/// The production dependencies of the `package.json` in `package_dir`, installed into
/// `target/node_modules` (`npm ci` with a lockfile, else `npm install`), unless `target`
/// already holds them. Returns whether it installed.
pub async fn npm(package_dir: &Path, target: &Path) -> Result<bool, DepsError> {
    let manifest = package_dir.join("package.json");
    let locks = ["package-lock.json", "npm-shrinkwrap.json"].map(|l| package_dir.join(l));
    let mut files = vec![manifest.clone()];
    files.extend(locks.iter().cloned());
    let inputs = inputs(&files);
    if installed(target, &inputs) {
        return Ok(false);
    }
    fresh(target)?;
    for f in &files {
        if f.is_file()
            && let Some(name) = f.file_name()
        {
            std::fs::copy(f, target.join(name)).map_err(|e| io(f, e))?;
        }
    }
    let locked = locks.iter().any(|l| l.is_file());
    let mut cmd = Command::new("npm");
    cmd.current_dir(target)
        .arg(if locked { "ci" } else { "install" })
        .args(["--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"]);
    if !locked {
        cmd.arg("--no-package-lock");
    }
    run(cmd, "npm", &manifest).await?;
    std::fs::write(target.join(STAMP), &inputs).map_err(|e| io(target, e))?;
    Ok(true)
}

/// (files, newest modification, total size) of what is under `dir`, skipping `skip`: whether
/// a copy of it is still current.
pub fn fingerprint(dir: &Path, skip: &[&str]) -> (u64, std::time::SystemTime, u64) {
    let mut fp = (0, std::time::SystemTime::UNIX_EPOCH, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if skip.iter().any(|s| name == *s) {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                fp.0 += 1;
                fp.2 += meta.len();
                if let Ok(m) = meta.modified() {
                    fp.1 = fp.1.max(m);
                }
            }
        }
    }
    fp
}

/// A copy of `code` in `stage` (what is under `code` but its own `node_modules`, `.git` and
/// `.aws-sam`), with `stage/node_modules` pointing at `modules`: the layout a Node.js
/// function has on Lambda, where `import` finds its packages beside the handler. Copied again
/// only when the code changed.
pub fn stage(code: &Path, modules: &Path, stage: &Path) -> Result<(), DepsError> {
    const SKIP: [&str; 4] = ["node_modules", ".git", ".aws-sam", ".gatehouse-source"];
    let fp = fingerprint(code, &SKIP);
    let stamp = format!("{} {:?} {}", fp.0, fp.1, fp.2);
    if std::fs::read_to_string(stage.join(".gatehouse-source")).is_ok_and(|s| s == stamp) {
        return Ok(());
    }
    fresh(stage)?;
    copy_tree(code, stage, &SKIP)?;
    std::os::unix::fs::symlink(modules, stage.join("node_modules"))
        .map_err(|e| io(&stage.join("node_modules"), e))?;
    std::fs::write(stage.join(".gatehouse-source"), stamp).map_err(|e| io(stage, e))
}

pub(crate) fn copy_tree(from: &Path, to: &Path, skip: &[&str]) -> Result<(), DepsError> {
    for e in std::fs::read_dir(from).map_err(|e| io(from, e))?.flatten() {
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let kind = e.file_type().map_err(|e| io(&src, e))?;
        if kind.is_dir() {
            std::fs::create_dir_all(&dst).map_err(|e| io(&dst, e))?;
            copy_tree(&src, &dst, &[])?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| io(&src, e))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| io(&dst, e))?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_install_is_current_while_its_inputs_are_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let req = dir.path().join("requirements.txt");
        std::fs::write(&req, "six==1.16.0\n").expect("write");
        let target = dir.path().join("deps");
        let first = inputs(std::slice::from_ref(&req));
        fresh(&target).expect("dir");
        std::fs::write(target.join(STAMP), &first).expect("stamp");
        assert!(installed(&target, &inputs(std::slice::from_ref(&req))));
        std::fs::write(&req, "six==1.17.0\n").expect("write");
        assert!(!installed(&target, &inputs(std::slice::from_ref(&req))));
    }

    #[test]
    fn staging_copies_the_code_once_and_links_the_modules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let code = dir.path().join("code");
        std::fs::create_dir_all(code.join("lib")).expect("mkdir");
        std::fs::create_dir_all(code.join("node_modules/x")).expect("mkdir");
        std::fs::write(code.join("app.mjs"), "export const handler = 1;").expect("write");
        std::fs::write(code.join("lib/util.js"), "").expect("write");
        let modules = dir.path().join("deps/node_modules");
        std::fs::create_dir_all(modules.join("express")).expect("mkdir");
        let st = dir.path().join("stage");
        stage(&code, &modules, &st).expect("stage");
        assert!(st.join("app.mjs").is_file() && st.join("lib/util.js").is_file());
        assert_eq!(
            std::fs::read_link(st.join("node_modules")).expect("link"),
            modules
        );
        assert!(st.join("node_modules/express").is_dir());
        // Unchanged code: not copied again (a file added to the copy stays).
        std::fs::write(st.join("marker"), "").expect("write");
        stage(&code, &modules, &st).expect("stage");
        assert!(st.join("marker").exists());
    }
}
