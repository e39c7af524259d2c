//! CDK cloud assemblies (`cdk synth`'s `cdk.out`): which template of the assembly to serve.
//! `manifest.json` lists the stacks (`aws:cloudformation:stack` artifacts, with stages as
//! `cdk:cloud-assembly` artifacts in folders of their own); the stack's template names its
//! assets through `aws:asset:*` metadata, which the template reader maps to the `asset.<hash>`
//! folders beside it, as `sam` does for a CDK template.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value as Json;

/// One stack of an assembly.
#[derive(Debug, Clone, PartialEq)]
pub struct AssemblyStack {
    /// The artifact id (`MyStack`, `DevInnerF00DF8BE` in a stage).
    pub id: String,
    /// `displayName` (`Dev/Inner`), else the id.
    pub display: String,
    /// `properties.stackName` (what CloudFormation calls it), else the id.
    pub stack_name: String,
    /// Its template file.
    pub template: PathBuf,
}

/// The stacks of the assembly in `dir` (stages' included), in manifest order.
pub fn stacks(dir: &Path) -> anyhow::Result<Vec<AssemblyStack>> {
    let mut out = Vec::new();
    collect(dir, 0, &mut out)?;
    Ok(out)
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<AssemblyStack>) -> anyhow::Result<()> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a CDK cloud assembly (no readable manifest.json): run `npx cdk synth` in the CDK app first",
            dir.display()
        )
    })?;
    let manifest: Json =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let Some(artifacts) = manifest["artifacts"].as_object() else {
        return Ok(());
    };
    for (id, a) in artifacts {
        match a["type"].as_str() {
            Some("aws:cloudformation:stack") => {
                let Some(file) = a["properties"]["templateFile"].as_str() else {
                    bail!(
                        "{}: stack {id} has no properties.templateFile",
                        path.display()
                    );
                };
                out.push(AssemblyStack {
                    id: id.clone(),
                    display: a["displayName"].as_str().unwrap_or(id).to_string(),
                    stack_name: a["properties"]["stackName"]
                        .as_str()
                        .unwrap_or(id)
                        .to_string(),
                    template: dir.join(file),
                });
            }
            Some("cdk:cloud-assembly") if depth < 8 => {
                if let Some(sub) = a["properties"]["directoryName"].as_str() {
                    collect(&dir.join(sub), depth + 1, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The stack to serve: the one named by `wanted` (its artifact id, display name or stack
/// name), or the only one.
pub fn choose(dir: &Path, wanted: Option<&str>) -> anyhow::Result<AssemblyStack> {
    let all = stacks(dir)?;
    let names = || {
        all.iter()
            .map(|s| s.display.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        Some(w) => all
            .iter()
            .find(|s| s.id == w || s.display == w || s.stack_name == w)
            .cloned()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the CDK app in {} has no stack {w:?} (it has: {})",
                    dir.display(),
                    names()
                )
            }),
        None => match all.as_slice() {
            [only] => Ok(only.clone()),
            [] => bail!("the CDK app in {} has no stacks", dir.display()),
            _ => bail!(
                "the CDK app in {} has {} stacks ({}): choose one with --stack NAME",
                dir.display(),
                all.len(),
                names()
            ),
        },
    }
}

/// Where a `gatehouse up` without `--template` or `--app` finds a CDK app's assembly: in a
/// folder with `cdk.json`, its `output` (default `cdk.out`). `Err` says what to do when the app
/// has not been synthesized; a note when the assembly is older than the app's sources.
pub fn beside(dir: &Path) -> Option<anyhow::Result<(PathBuf, Option<String>)>> {
    let cdk_json = dir.join("cdk.json");
    let config: Json = serde_json::from_str(&std::fs::read_to_string(&cdk_json).ok()?).ok()?;
    let out = dir.join(config["output"].as_str().unwrap_or("cdk.out"));
    let manifest = out.join("manifest.json");
    let Ok(synthesized) = std::fs::metadata(&manifest).and_then(|m| m.modified()) else {
        return Some(Err(anyhow::anyhow!(
            "{} is a CDK app that has not been synthesized: run `npx cdk synth` there, then `gatehouse up` again (or pass --app {})",
            dir.display(),
            out.display()
        )));
    };
    let newer = newest_source(dir, &out, 0).filter(|(t, _)| *t > synthesized);
    let note = newer.map(|(_, p)| {
        format!(
            "{} changed after the last `cdk synth`: run `npx cdk synth` to serve the change",
            p.display()
        )
    });
    Some(Ok((out, note)))
}

/// The most recently changed source file of a CDK app (not its `node_modules`, its assembly or
/// dot folders), a few levels deep.
fn newest_source(
    dir: &Path,
    assembly: &Path,
    depth: usize,
) -> Option<(std::time::SystemTime, PathBuf)> {
    if depth > 4 {
        return None;
    }
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "node_modules" || path == assembly {
            continue;
        }
        let found = match entry.file_type() {
            Ok(t) if t.is_dir() => newest_source(&path, assembly, depth + 1),
            Ok(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (t, path)),
            Err(_) => None,
        };
        if let Some(f) = found
            && best.as_ref().is_none_or(|b| f.0 > b.0)
        {
            best = Some(f);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).expect("dir");
        }
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn stacks_come_from_the_manifest_and_its_stages() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = tmp.path();
        write(
            &d.join("manifest.json"),
            r#"{"version":"55.0.0","artifacts":{
              "Api.assets":{"type":"cdk:asset-manifest","properties":{"file":"Api.assets.json"}},
              "Api":{"type":"aws:cloudformation:stack","properties":{"templateFile":"Api.template.json"},"displayName":"Api"},
              "assembly-Dev":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-Dev","displayName":"Dev"}}}}"#,
        );
        write(
            &d.join("assembly-Dev/manifest.json"),
            r#"{"artifacts":{"DevInnerF00DF8BE":{"type":"aws:cloudformation:stack","displayName":"Dev/Inner",
              "properties":{"templateFile":"DevInnerF00DF8BE.template.json","stackName":"Dev-Inner"}}}}"#,
        );
        let all = stacks(d).expect("stacks");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1].template,
            d.join("assembly-Dev/DevInnerF00DF8BE.template.json")
        );
        for name in ["DevInnerF00DF8BE", "Dev/Inner", "Dev-Inner"] {
            assert_eq!(
                choose(d, Some(name)).map(|s| s.id).ok().as_deref(),
                Some("DevInnerF00DF8BE")
            );
        }
        let e = choose(d, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("has 2 stacks (Api, Dev/Inner): choose one with --stack NAME"),
            "{e}"
        );
        let e = choose(d, Some("Nope"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("no stack \"Nope\" (it has: Api, Dev/Inner)"),
            "{e}"
        );
    }

    #[test]
    fn a_cdk_app_not_synthesized_says_how() {
        let tmp = tempfile::tempdir().expect("tmp");
        write(&tmp.path().join("cdk.json"), r#"{"app":"node app.js"}"#);
        let e = beside(tmp.path())
            .and_then(|r| r.err())
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("run `npx cdk synth`"), "{e}");
        assert!(beside(&tmp.path().join("nothing")).is_none());
    }
}
