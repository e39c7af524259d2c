//! Building Rust functions with cargo: `cargo build --release --bin <Binary>` in the function's
//! crate, the executable's path read from cargo's own JSON messages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::BuildError;

/// Builds `binary` of the crate in `dir` (release) and returns the executable's path.
pub async fn cargo_build(dir: &Path, binary: &str) -> Result<PathBuf, BuildError> {
    let mut built = cargo_build_all(dir, &[binary.to_string()], &|_| {}).await?;
    Ok(built.paths.remove(0))
}

/// The binary cargo-lambda builds in `dir` when `sam build` names none: the only `bin` target
/// of the package there (of the workspace's members, for a virtual manifest); more than one, or
/// none, is an error that lists them. Asks `cargo metadata`, which reads manifests as cargo does
/// (`[[bin]]`, `src/main.rs`, `src/bin/*`, `autobins`).
pub async fn only_binary(dir: &Path) -> Result<String, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(BuildError::Cargo)?;
    let failed = |output: String| BuildError::Failed {
        binary: "(the package's binary)".into(),
        dir: dir.display().to_string(),
        output,
    };
    if !out.status.success() {
        return Err(failed(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let meta: Json = serde_json::from_slice(&out.stdout)
        .map_err(|e| failed(format!("cargo metadata answered what is not JSON: {e}")))?;
    let manifest = dir.join("Cargo.toml");
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let here: Vec<&Json> = packages
        .iter()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .is_some_and(|m| same_file(Path::new(m), &manifest))
        })
        .collect();
    let chosen: Vec<&Json> = if here.is_empty() {
        packages.iter().collect()
    } else {
        here
    };
    let bins: Vec<String> = chosen
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    match bins.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(failed(
            "the package has no binary target: add src/main.rs or a [[bin]], as cargo-lambda needs one"
                .into(),
        )),
        several => Err(failed(format!(
            "the package has {} binaries ({}): name one with Metadata.BuildProperties.Binary, as `sam build` needs",
            several.len(),
            several.join(", ")
        ))),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// What a cargo run made.
#[derive(Debug)]
pub struct Built {
    /// The executables, in the order asked.
    pub paths: Vec<PathBuf>,
    /// The folders of the local (path) packages cargo built them from.
    pub packages: Vec<PathBuf>,
}

/// Builds several binaries of the crate in `dir` in one cargo run (one up-to-date check
/// instead of one per binary) and returns their paths, in the order asked.
/// `progress` is told the name of each crate cargo finishes, as it finishes.
pub async fn cargo_build_all(
    dir: &Path,
    binaries: &[String],
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Built, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    for b in binaries {
        cmd.args(["--bin", b]);
    }
    let mut child = cmd
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(BuildError::Cargo)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut found: Vec<Option<PathBuf>> = vec![None; binaries.len()];
    let mut packages: Vec<PathBuf> = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(msg) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(name) = msg["target"]["name"].as_str() {
            progress(name);
        }
        if msg["package_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("path+file://"))
            && let Some(package) = msg["manifest_path"]
                .as_str()
                .and_then(|m| Path::new(m).parent())
            && !packages.iter().any(|p| p == package)
        {
            packages.push(package.to_path_buf());
        }
        if let (Some(name), Some(path)) =
            (msg["target"]["name"].as_str(), msg["executable"].as_str())
            && let Some(i) = binaries.iter().position(|b| b == name)
        {
            found[i] = Some(PathBuf::from(path));
        }
    }
    let status = child.wait().await.map_err(BuildError::Cargo)?;
    let output = errors.await.unwrap_or_default();
    let all: Option<Vec<PathBuf>> = found.into_iter().collect();
    match (status.success(), all) {
        (true, Some(paths)) => Ok(Built { paths, packages }),
        _ => Err(BuildError::Failed {
            binary: binaries.join(", "),
            dir: dir.display().to_string(),
            output,
        }),
    }
}

/// A build as recorded in the state dir, to skip cargo next time when nothing changed.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Record {
    binaries: Vec<String>,
    paths: Vec<PathBuf>,
    packages: Vec<PathBuf>,
    inputs: String,
}

/// The executables of the build recorded for `dir` in `records` (a JSON file in the state dir,
/// one entry per crate folder), if nothing cargo would look at has changed since: then cargo's
/// own up-to-date check (~140 ms, most of a warm start) can be skipped. This check stats the
/// local packages' files; any change to them, to a `Cargo.toml`, `Cargo.lock`,
/// `.cargo/config.toml` or `rust-toolchain` file above the crate, to a `CARGO*`/`RUST*`
/// environment variable or to the executables themselves means cargo runs again. Blocking.
pub fn unchanged_since_recorded(
    dir: &Path,
    binaries: &[String],
    records: &Path,
) -> Option<Vec<PathBuf>> {
    let all = read_records(records);
    let rec: Record = serde_json::from_value(all.get(&dir.display().to_string())?.clone()).ok()?;
    (rec.binaries == binaries && inputs(dir, &rec.packages, &rec.paths) == rec.inputs)
        .then_some(rec.paths)
}

/// Records a build of `dir` in `records` for [`unchanged_since_recorded`]. Blocking; best
/// effort (without a record the next start only runs cargo again).
pub fn record(dir: &Path, binaries: &[String], built: &Built, records: &Path) {
    let rec = Record {
        binaries: binaries.to_vec(),
        paths: built.paths.clone(),
        packages: built.packages.clone(),
        inputs: inputs(dir, &built.packages, &built.paths),
    };
    let mut all = read_records(records);
    all.insert(
        dir.display().to_string(),
        serde_json::to_value(&rec).expect("a record serializes"),
    );
    let _ = common::fs::write_private(
        records,
        &serde_json::to_vec_pretty(&all).expect("records serialize"),
    );
}

fn read_records(records: &Path) -> serde_json::Map<String, Json> {
    std::fs::read(records)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// A digest of everything [`unchanged_since_recorded`] treats as the build's inputs.
fn inputs(dir: &Path, packages: &[PathBuf], binaries: &[PathBuf]) -> String {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same inputs give the same digest in every process.
    let mut h = std::hash::DefaultHasher::new();
    fn stamp(h: &mut std::hash::DefaultHasher, path: &Path) {
        path.hash(h);
        match std::fs::metadata(path) {
            Ok(m) => {
                m.len().hash(h);
                m.modified().ok().hash(h);
            }
            Err(_) => "missing".hash(h),
        }
    }
    let mut packages = packages.to_vec();
    packages.sort();
    for package in &packages {
        let mut files = Vec::new();
        source_files(package, &mut files);
        files.sort();
        files.len().hash(&mut h);
        for f in &files {
            stamp(&mut h, f);
        }
    }
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in dir.ancestors() {
        for name in [
            "Cargo.toml",
            "Cargo.lock",
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ] {
            stamp(&mut h, &ancestor.join(name));
        }
    }
    for b in binaries {
        stamp(&mut h, b);
    }
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUST"))
        .collect();
    env.sort();
    env.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Every file under `dir`, skipping build output, hidden folders and caches.
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = e.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !(name.starts_with('.')
                || name == "target"
                || name == "node_modules"
                || name == "__pycache__")
            {
                source_files(&e.path(), out);
            }
        } else {
            out.push(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate folder with a source file, and an "executable" beside it, recorded as built.
    fn recorded() -> (tempfile::TempDir, PathBuf, Vec<String>, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let krate = tmp.path().join("fn");
        std::fs::create_dir_all(krate.join("src")).expect("mkdir");
        std::fs::write(krate.join("Cargo.toml"), "[package]\nname = \"f\"\n").expect("write");
        std::fs::write(krate.join("src/main.rs"), "fn main() {}\n").expect("write");
        std::fs::create_dir_all(krate.join("target")).expect("mkdir");
        let exe = krate.join("target/f");
        std::fs::write(&exe, "binary").expect("write");
        let records = tmp.path().join("builds.json");
        let bins = vec!["f".to_string()];
        let built = Built {
            paths: vec![exe],
            packages: vec![krate.clone()],
        };
        record(&krate, &bins, &built, &records);
        (tmp, krate, bins, records)
    }

    #[test]
    fn an_unchanged_crate_skips_cargo() {
        let (_tmp, krate, bins, records) = recorded();
        let paths = unchanged_since_recorded(&krate, &bins, &records).expect("unchanged");
        assert_eq!(paths, [krate.join("target/f")]);
        // Build output is not a source.
        std::fs::write(krate.join("target/other"), "x").expect("write");
        assert!(unchanged_since_recorded(&krate, &bins, &records).is_some());
    }

    #[test]
    fn any_change_cargo_would_see_runs_it_again() {
        let (_tmp, krate, bins, records) = recorded();
        // Another set of binaries.
        assert!(unchanged_since_recorded(&krate, &["g".to_string()], &records).is_none());
        // A new source file.
        std::fs::write(krate.join("src/lib.rs"), "").expect("write");
        assert!(unchanged_since_recorded(&krate, &bins, &records).is_none());

        let (_tmp, krate, bins, records) = recorded();
        // An edited source file (another size).
        std::fs::write(krate.join("src/main.rs"), "fn main() { }\n").expect("write");
        assert!(unchanged_since_recorded(&krate, &bins, &records).is_none());

        let (_tmp, krate, bins, records) = recorded();
        // The executable gone.
        std::fs::remove_file(krate.join("target/f")).expect("rm");
        assert!(unchanged_since_recorded(&krate, &bins, &records).is_none());

        let (_tmp, krate, bins, records) = recorded();
        // No record, or an unreadable one.
        std::fs::write(&records, "not json").expect("write");
        assert!(unchanged_since_recorded(&krate, &bins, &records).is_none());
    }
}
