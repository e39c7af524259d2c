//! `BuildMethod: makefile`, as aws-lambda-builders' `CustomMakeBuilder` runs it: the sources
//! copied into a scratch folder (without `.aws-sam` and `.git`), then
//! `make --makefile <CodeUri>/Makefile build-<LogicalId>` there (or in `Metadata.WorkingDirectory`)
//! with `ARTIFACTS_DIR` set to the folder the function then runs from.

use std::path::Path;

use tokio::process::Command;

use super::BuildError;

/// Builds the target `build-<logical_id>` of `source`'s Makefile into `artifacts` (made empty
/// first), working in `scratch` (a fresh copy of `source`) or in `working_dir`.
pub async fn build(
    source: &Path,
    logical_id: &str,
    scratch: &Path,
    artifacts: &Path,
    working_dir: Option<&Path>,
) -> Result<(), BuildError> {
    let makefile = source.join("Makefile");
    if !makefile.is_file() {
        return Err(BuildError::step(
            format!("{logical_id}: BuildMethod makefile"),
            format!("Makefile not found at {}", makefile.display()),
        ));
    }
    let io = |e: crate::deps::DepsError| {
        BuildError::step(
            "cannot copy the sources into the scratch folder",
            e.to_string(),
        )
    };
    crate::deps::fresh(scratch).map_err(io)?;
    crate::deps::copy_tree(source, scratch, &[".aws-sam", ".git"]).map_err(io)?;
    std::fs::create_dir_all(artifacts).map_err(|e| {
        BuildError::step(
            "cannot make the artifacts folder",
            format!("{}: {e}", artifacts.display()),
        )
    })?;
    let mut cmd = Command::new("make");
    cmd.arg("--makefile")
        .arg(&makefile)
        .arg(format!("build-{logical_id}"))
        .env("ARTIFACTS_DIR", artifacts)
        .current_dir(working_dir.unwrap_or(scratch));
    super::run(
        cmd,
        &format!("make build-{logical_id} (Makefile in {})", source.display()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_target_of_the_logical_id_writes_into_artifacts_dir_from_a_copy() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let src = tmp.path().join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("app.py"), "def handler(e, c): return 1\n").expect("write");
        std::fs::write(
            src.join("Makefile"),
            "build-HelloFunction:\n\tcp app.py \"$(ARTIFACTS_DIR)\"\n\ttouch made-here\n",
        )
        .expect("write");
        let (scratch, out) = (tmp.path().join("scratch"), tmp.path().join("out"));
        build(&src, "HelloFunction", &scratch, &out, None)
            .await
            .expect("built");
        assert!(out.join("app.py").is_file());
        assert!(
            scratch.join("made-here").is_file(),
            "make works in the copy"
        );
        assert!(
            !src.join("made-here").exists(),
            "the sources stay as they were"
        );

        let err = build(&src, "Other", &scratch, &out, None)
            .await
            .expect_err("no such target")
            .to_string();
        assert!(
            err.contains("make build-Other") && err.contains("No rule to make target"),
            "{err}"
        );
        std::fs::remove_file(src.join("Makefile")).expect("rm");
        let err = build(&src, "HelloFunction", &scratch, &out, None)
            .await
            .expect_err("no Makefile")
            .to_string();
        assert!(err.contains("Makefile not found at"), "{err}");
    }
}
