//! `BuildMethod: esbuild`, as aws-lambda-builders' `NodejsNpmEsbuildBuilder` runs it:
//! `esbuild <entry points> --bundle --platform=node --outdir=<artifacts>`, then its defaults
//! (`--target=es2020`, `--format=cjs`, `--minify`) unless the properties set them, then each
//! property as a flag: `Minify: true` → `--minify`, `Target: es2022` → `--target=es2022`,
//! `External: [a, b]` → `--external:a --external:b` (sam-cli turns `PascalCase` keys into
//! `snake_case`, the builder into `kebab-case`). `External: ['./node_modules/*']` marks every
//! dependency of `package.json` external instead.
//!
//! The esbuild run: the function's own (`node_modules/.bin/esbuild` under its folder), else
//! one on `PATH` (where `sam build` looks), else [`ESBUILD`] from npm, installed once into
//! the shared cache.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use tokio::process::Command;

use super::BuildError;

/// The esbuild installed into the cache when neither the function nor `PATH` has one.
pub const ESBUILD: &str = "0.28.2";

/// Keys the builder sets itself (`bundle`, `platform`, `outdir`) or does not pass on.
const NOT_FLAGS: [&str; 5] = ["bundle", "platform", "outdir", "use_npm_ci", "entry_points"];

/// esbuild's arguments for the sources in `source` bundled into `outdir`, from the normalised
/// `properties` (`entry_points` first, as sam-cli defaults it from the handler). Errors are the
/// builder's, for a property that is not a list, flag or text, or an entry point that is not
/// there.
pub fn args(
    source: &Path,
    outdir: &Path,
    properties: &serde_json::Map<String, Json>,
) -> Result<Vec<String>, BuildError> {
    let bad = |m: String| BuildError::step("esbuild's BuildProperties", m);
    let entries = match properties.get("entry_points") {
        None => {
            return Err(bad(format!(
                "entry_points not set ({})",
                Json::Object(properties.clone())
            )));
        }
        Some(Json::Array(e)) if e.is_empty() => {
            return Err(bad("entry_points must not be empty".into()));
        }
        Some(Json::Array(e)) => e,
        Some(_) => return Err(bad("entry_points must be a list".into())),
    };
    let mut args = Vec::new();
    for e in entries {
        let e = template_text(e);
        args.push(explicit_file(source, &e)?);
    }
    args.extend([
        "--bundle".to_string(),
        "--platform=node".to_string(),
        format!("--outdir={}", outdir.display()),
    ]);
    for (key, default) in [
        ("target", "--target=es2020"),
        ("format", "--format=cjs"),
        ("minify", "--minify"),
    ] {
        if !properties.contains_key(key) {
            args.push(default.to_string());
        }
    }
    let all_external = properties
        .get("external")
        .and_then(Json::as_array)
        .is_some_and(|e| e.iter().any(|x| x == "./node_modules/*"));
    if all_external {
        args.extend(
            dependencies(source)
                .into_iter()
                .map(|d| format!("--external:{d}")),
        );
    }
    for (key, value) in properties {
        if NOT_FLAGS.contains(&key.as_str()) || (all_external && key == "external") {
            continue;
        }
        let flag = key.replace('_', "-");
        match value {
            Json::Bool(true) => args.push(format!("--{flag}")),
            Json::Bool(false) => {}
            Json::String(s) => args.push(format!("--{flag}={s}")),
            Json::Array(items) => {
                args.extend(
                    items
                        .iter()
                        .map(|i| format!("--{flag}:{}", template_text(i))),
                );
            }
            other => {
                return Err(bad(format!(
                    "Failed to determine the type of the configuration: {other} (of {key}; esbuild's options are flags, text or lists)"
                )));
            }
        }
    }
    Ok(args)
}

/// Whether esbuild's `--external:<pattern>` leaves the package `name` out of the bundle: the
/// name itself, a `*` wildcard (`@aws-sdk/*`), or a path under it (`name/sub`).
pub fn external_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        None => name == pattern || name.starts_with(&format!("{pattern}/")),
    }
}

fn template_text(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// An entry point with its suffix: as written when it has one (it must exist), else the first
/// of `.ts`, `.js` that exists.
fn explicit_file(source: &Path, entry: &str) -> Result<String, BuildError> {
    let path = source.join(entry);
    let missing = || {
        BuildError::step(
            "esbuild's BuildProperties",
            format!("entry point {} does not exist", path.display()),
        )
    };
    if Path::new(entry).extension().is_some() {
        return if path.is_file() {
            Ok(entry.to_string())
        } else {
            Err(missing())
        };
    }
    for ext in [".ts", ".js"] {
        if source.join(format!("{entry}{ext}")).is_file() {
            return Ok(format!("{entry}{ext}"));
        }
    }
    Err(missing())
}

/// The names in `package.json`'s `dependencies` under `source`.
fn dependencies(source: &Path) -> Vec<String> {
    std::fs::read(source.join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Json>(&b).ok())
        .and_then(|p| {
            p["dependencies"]
                .as_object()
                .map(|d| d.keys().cloned().collect())
        })
        .unwrap_or_default()
}

/// The esbuild executable to run for the sources in `source`, and whether it was installed now.
pub async fn executable(source: &Path) -> Result<(PathBuf, bool), BuildError> {
    let own = source.join("node_modules/.bin/esbuild");
    if own.is_file() {
        return Ok((own, false));
    }
    if let Some(on_path) = on_path("esbuild") {
        return Ok((on_path, false));
    }
    let dir = crate::sdk::cache_dir().join(format!("esbuild-{ESBUILD}"));
    let packages = crate::sdk::Packages(vec![format!("esbuild@{ESBUILD}")]);
    let installed = crate::sdk::cached(&dir, &packages.clone(), |tmp| crate::sdk::npm(tmp, packages))
        .await
        .map_err(|e| {
            BuildError::step(
                format!("esbuild {ESBUILD} is not on PATH nor in {} and could not be installed", dir.display()),
                format!("{e}\nInstall esbuild (npm install -g esbuild, or as a devDependency of the function), or reach the npm registry once."),
            )
        })?;
    // The platform's own binary, not the JavaScript shim that starts it.
    let native = dir.join("node_modules/@esbuild/linux-x64/bin/esbuild");
    let exe = if native.is_file() {
        native
    } else {
        dir.join("node_modules/.bin/esbuild")
    };
    Ok((exe, installed))
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `esbuild` with `args` in `source`; `node_path` (the function's installed dependencies)
/// is where esbuild looks for packages the sources' own `node_modules` does not have.
pub async fn bundle(
    exe: &Path,
    source: &Path,
    args: &[String],
    node_path: Option<&Path>,
) -> Result<(), BuildError> {
    let mut cmd = Command::new(exe);
    cmd.args(args).current_dir(source);
    if let Some(p) = node_path {
        cmd.env("NODE_PATH", p);
    }
    super::run(cmd, &format!("esbuild in {}", source.display())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Json) -> serde_json::Map<String, Json> {
        match v {
            Json::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }

    #[test]
    fn properties_become_esbuild_flags_after_the_builders_defaults() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("app.ts"), "").expect("write");
        let out = tmp.path().join("out");
        let a = args(
            tmp.path(),
            &out,
            &props(json!({"entry_points": ["app"], "minify": false, "sourcemap": true,
                          "format": "esm", "out_extension": [".js=.mjs"], "external": ["@aws-sdk/*"]})),
        )
        .expect("args");
        assert_eq!(a[0], "app.ts", "the suffix found, .ts before .js");
        assert!(a.contains(&"--bundle".into()) && a.contains(&"--platform=node".into()));
        assert!(a.contains(&format!("--outdir={}", out.display())));
        assert!(a.contains(&"--target=es2020".into()), "the default target");
        assert!(
            !a.iter().any(|x| x.starts_with("--minify")),
            "Minify: false drops the default"
        );
        assert!(a.contains(&"--format=esm".into()) && !a.contains(&"--format=cjs".into()));
        assert!(a.contains(&"--sourcemap".into()));
        assert!(a.contains(&"--out-extension:.js=.mjs".into()));
        assert!(a.contains(&"--external:@aws-sdk/*".into()));

        let d = args(
            tmp.path(),
            &out,
            &props(json!({"entry_points": ["app.ts"]})),
        )
        .expect("args");
        assert!(d.contains(&"--minify".into()) && d.contains(&"--format=cjs".into()));
    }

    #[test]
    fn external_patterns_match_as_esbuild_matches_them() {
        assert!(external_matches("@aws-sdk/*", "@aws-sdk/client-dynamodb"));
        assert!(external_matches("@aws-sdk/client-s3", "@aws-sdk/client-s3"));
        assert!(!external_matches(
            "@aws-sdk/client-s3",
            "@aws-sdk/client-sqs"
        ));
        assert!(!external_matches("aws-sdk", "@aws-sdk/client-s3"));
        assert!(external_matches("*", "@aws-sdk/lib-dynamodb"));
    }

    #[test]
    fn every_dependency_is_external_with_node_modules_star() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("app.js"), "").expect("write");
        std::fs::write(
            tmp.path().join("package.json"),
            r#"{"dependencies": {"uuid": "9", "axios": "1"}}"#,
        )
        .expect("write");
        let a = args(
            tmp.path(),
            tmp.path(),
            &props(json!({"entry_points": ["app.js"], "external": ["./node_modules/*"]})),
        )
        .expect("args");
        assert!(a.contains(&"--external:uuid".into()) && a.contains(&"--external:axios".into()));
        assert!(!a.contains(&"--external:./node_modules/*".into()));
    }

    #[test]
    fn bad_properties_are_the_builders_errors() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = |p: Json| {
            args(tmp.path(), tmp.path(), &props(p))
                .map(|_| ())
                .expect_err("refused")
                .to_string()
        };
        assert!(err(json!({})).contains("entry_points not set"));
        assert!(err(json!({"entry_points": []})).contains("entry_points must not be empty"));
        assert!(err(json!({"entry_points": "app"})).contains("entry_points must be a list"));
        assert!(err(json!({"entry_points": ["app"]})).contains("entry point"));
        assert!(err(json!({"entry_points": ["nope.js"]})).contains("does not exist"));
        std::fs::write(tmp.path().join("app.js"), "").expect("write");
        assert!(
            err(json!({"entry_points": ["app"], "target": 2020}))
                .contains("Failed to determine the type")
        );
    }
}
