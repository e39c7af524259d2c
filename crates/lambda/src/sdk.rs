//! The AWS SDK a Lambda runtime ships, installed once per machine into a shared cache (the
//! user's cache dir, not the state dir: every stack and every start reuses it) and put on the
//! function's module path after its own packages, as on Lambda, where the runtime's copy in
//! `/var/runtime` comes after `/var/task` and the layers: a function's own pinned boto3 wins.
//!
//! Versions (AWS stopped documenting the SDK version per runtime in 2024, aws-sdk-js-v3#6159;
//! these are chosen here):
//! - every `python3.*`: boto3/botocore [`BOTO3`], a 2024 release; older documented ones
//!   (1.20.32 for python3.9) predate `AWS_ENDPOINT_URL_<SERVICE>` (botocore 1.31.7), which is
//!   how functions reach the local services.
//! - `nodejs` ≤ 16.x: `aws-sdk` [`AWS_SDK_V2`], the version Lambda's documentation last gave
//!   for nodejs16.x (v2 reads no `AWS_ENDPOINT_URL_*`; the Node bootstrap gives it those
//!   endpoints when it is loaded).
//! - `nodejs` ≥ 18.x: the `@aws-sdk/*` v3 packages the function's code names, each at its
//!   newest version up to [`AWS_SDK_V3`] (`<=`: the monorepo publishes only the packages that
//!   changed in a release, all under the release's number), so that clients and their shared
//!   parts come from one release train (`npm --before` would say it by date, but registry
//!   mirrors without publication times refuse it). Lambda's runtime
//!   has every client; installing all ~400 would take minutes, so only those the code imports
//!   are installed (a package named only at run time, `require(name)`, is not found).
//!
//! An install goes into a temporary folder renamed into place when complete, so two starts at
//! once never see half an install.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::deps::DepsError;

/// boto3 and botocore for Python runtimes.
pub const BOTO3: &str = "1.34.145";
/// `aws-sdk` (v2) for nodejs ≤ 16.x.
pub const AWS_SDK_V2: &str = "2.1083.0";
/// `@aws-sdk/*` v3 for nodejs ≥ 18.x: each package at its newest version up to this one (a
/// release of August 2024).
pub const AWS_SDK_V3: &str = "3.632.0";

/// Which SDK a runtime ships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shipped {
    /// boto3 + botocore.
    Boto3,
    /// `aws-sdk` v2.
    JsV2,
    /// `@aws-sdk/*` v3.
    JsV3,
}

/// The SDK `family` ships, if any (`provided.*` ships none).
pub fn shipped(family: &crate::runtime::Family) -> Option<Shipped> {
    match family {
        crate::runtime::Family::Python { .. } => Some(Shipped::Boto3),
        crate::runtime::Family::Node { major } => Some(match major.parse::<u32>() {
            Ok(m) if m <= 16 => Shipped::JsV2,
            _ => Shipped::JsV3,
        }),
        _ => None,
    }
}

/// The shared cache: `$GATEHOUSE_SDK_CACHE`, else `$XDG_CACHE_HOME/gatehouse/sdk`, else
/// `~/.cache/gatehouse/sdk`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GATEHOUSE_SDK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("gatehouse").join("sdk")
}

/// What an install is, for its messages: `boto3==1.34.145 botocore==1.34.145`.
#[derive(Debug, Clone)]
pub struct Packages(pub Vec<String>);

impl std::fmt::Display for Packages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// A folder in the cache, installed by `job` into a temporary sibling and renamed into place
/// unless it is there already. Returns whether it installed.
pub(crate) async fn cached<F>(
    dir: &Path,
    packages: &Packages,
    job: impl FnOnce(PathBuf) -> F,
) -> Result<bool, DepsError>
where
    F: std::future::Future<Output = Result<(), DepsError>>,
{
    if dir.join(DONE).is_file() {
        return Ok(false);
    }
    tracing::info!(
        "installing {packages} into {}, once for this machine",
        dir.display()
    );
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)
        .map_err(|e| DepsError::Io(format!("{}: {e}", parent.display())))?;
    let mut tail = [0u8; 6];
    common::id::random_bytes(&mut tail);
    let tmp = parent.join(format!(
        ".{}-{}",
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        common::encoding::hex(&tail)
    ));
    let result = job(tmp.clone()).await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    std::fs::write(tmp.join(DONE), b"")
        .map_err(|e| DepsError::Io(format!("{}: {e}", tmp.display())))?;
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(true),
        // Another start finished the same install first: keep its copy.
        Err(_) if dir.join(DONE).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(false)
        }
        Err(e) => Err(DepsError::Io(format!("{}: {e}", dir.display()))),
    }
}

/// Marks a complete install.
const DONE: &str = ".gatehouse-complete";

/// boto3 for `python` (version `X.Y`): the folder to put on `PYTHONPATH`, and whether it was
/// installed now.
pub async fn boto3(python: &Path, version: &str) -> Result<(PathBuf, bool), DepsError> {
    pip_packages(
        python,
        &format!("python{version}-boto3-{BOTO3}"),
        boto3_packages(),
    )
    .await
}

/// `packages` installed with `python`'s pip into the cache folder `name` (once): the folder,
/// and whether it was installed now. Also what gatehouse's own helpers (its DynamoDB engine)
/// are installed with.
pub async fn pip_packages(
    python: &Path,
    name: &str,
    packages: Packages,
) -> Result<(PathBuf, bool), DepsError> {
    let dir = cache_dir().join(name);
    let installed = cached(&dir, &packages.clone(), |tmp| async move {
        // Compiled at install (pip's default): functions and the engine run with
        // PYTHONDONTWRITEBYTECODE, and without `.pyc` files botocore alone takes a second to
        // import at every start.
        let mut cmd = crate::deps::pip_install(python, &tmp);
        cmd.args(&packages.0);
        crate::deps::run_tool(cmd, "pip", &packages.to_string()).await
    })
    .await?;
    Ok((dir, installed))
}

/// What [`boto3`] installs.
pub fn boto3_packages() -> Packages {
    Packages(vec![
        format!("boto3=={BOTO3}"),
        format!("botocore=={BOTO3}"),
    ])
}

/// `aws-sdk` v2: the `node_modules` folder to put on `NODE_PATH`, and whether it was installed
/// now.
pub async fn aws_sdk_v2() -> Result<(PathBuf, bool), DepsError> {
    let dir = cache_dir().join(format!("nodejs-aws-sdk-{AWS_SDK_V2}"));
    let packages = Packages(vec![format!("aws-sdk@{AWS_SDK_V2}")]);
    let installed = cached(&dir, &packages.clone(), |tmp| npm(tmp, packages)).await?;
    Ok((dir.join("node_modules"), installed))
}

/// The v3 `packages` (`@aws-sdk/client-dynamodb`, …): the `node_modules` folder to put on
/// `NODE_PATH`, and whether it was installed now. One folder per set of packages.
pub async fn aws_sdk_v3(packages: &BTreeSet<String>) -> Result<(PathBuf, bool), DepsError> {
    // FNV-1a of the names: a folder name, not a secret (this crate has no SHA-256).
    let key = packages.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, p| {
        p.bytes()
            .chain([0])
            .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    });
    let dir = cache_dir().join(format!("nodejs-aws-sdk-{AWS_SDK_V3}-{key:016x}"));
    let list = Packages(
        packages
            .iter()
            .map(|p| format!("{p}@<={AWS_SDK_V3}"))
            .collect(),
    );
    let installed = cached(&dir, &list.clone(), |tmp| npm(tmp, list)).await?;
    Ok((dir.join("node_modules"), installed))
}

/// `npm install <packages>` into `dir`.
pub(crate) async fn npm(dir: PathBuf, packages: Packages) -> Result<(), DepsError> {
    std::fs::create_dir_all(&dir).map_err(|e| DepsError::Io(format!("{}: {e}", dir.display())))?;
    std::fs::write(dir.join("package.json"), b"{\"private\": true}\n")
        .map_err(|e| DepsError::Io(format!("{}: {e}", dir.display())))?;
    let mut cmd = Command::new("npm");
    cmd.current_dir(&dir).args([
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--loglevel=error",
    ]);
    cmd.args(&packages.0);
    crate::deps::run_tool(cmd, "npm", &packages.to_string()).await
}

/// The `@aws-sdk/*` packages the JavaScript/TypeScript sources under `dir` name (`import …
/// from "@aws-sdk/client-dynamodb"`, `require('@aws-sdk/lib-dynamodb')`), not counting its
/// own `node_modules`. Reads at most a few thousand files of a few MB.
pub fn v3_imports(dir: &Path) -> BTreeSet<String> {
    const EXTENSIONS: [&str; 6] = ["js", "mjs", "cjs", "ts", "mts", "cts"];
    const SKIP: [&str; 4] = ["node_modules", ".git", ".aws-sam", ".gatehouse"];
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut budget = 5_000usize;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if budget == 0 {
                return found;
            }
            budget -= 1;
            let name = e.file_name();
            if SKIP.iter().any(|s| name == *s) {
                continue;
            }
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let js = path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x));
            if !js || e.metadata().is_ok_and(|m| m.len() > 4 * 1024 * 1024) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                scan(&text, &mut found);
            }
        }
    }
    found
}

/// The `@aws-sdk/<name>` package names in `text`.
fn scan(text: &str, found: &mut BTreeSet<String>) {
    const PREFIX: &str = "@aws-sdk/";
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        let after = &rest[at + PREFIX.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(after.len());
        // A module specifier: quoted, the package's name then its end or a subpath.
        let quoted = rest[..at].ends_with(['"', '\'', '`']);
        let ends = after[len..].starts_with(['"', '\'', '`', '/']);
        if len > 0 && quoted && ends {
            found.insert(format!("{PREFIX}{}", &after[..len]));
        }
        rest = &after[len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Family;

    #[test]
    fn runtimes_ship_the_sdk_lambda_gives_them() {
        let node = |m: &str| Family::Node { major: m.into() };
        assert_eq!(shipped(&node("12")), Some(Shipped::JsV2));
        assert_eq!(shipped(&node("16")), Some(Shipped::JsV2));
        assert_eq!(shipped(&node("18")), Some(Shipped::JsV3));
        assert_eq!(shipped(&node("22")), Some(Shipped::JsV3));
        let py = Family::Python {
            version: "3.12".into(),
        };
        assert_eq!(shipped(&py), Some(Shipped::Boto3));
        assert_eq!(shipped(&Family::Provided), None);
    }

    #[test]
    fn the_v3_packages_a_source_names_are_found() {
        let mut found = BTreeSet::new();
        scan(
            r#"import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
const { marshall } = require('@aws-sdk/util-dynamodb');
import * as lib from '@aws-sdk/lib-dynamodb/dist-cjs/index.js';
// see https://github.com/aws/aws-sdk-js-v3/tree/main/@aws-sdk/not-a-specifier
const s = "@aws-sdk/";"#,
            &mut found,
        );
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(
            found,
            [
                "@aws-sdk/client-dynamodb",
                "@aws-sdk/lib-dynamodb",
                "@aws-sdk/util-dynamodb"
            ]
        );
    }
}
