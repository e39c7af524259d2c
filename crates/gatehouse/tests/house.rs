//! The house rules of `../shared/DESIGN.md` that a compiler does not check: which crate may
//! depend on which, and that SAM/CloudFormation resource types are read in one crate only.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The packages `package` depends on for its normal (non-dev, non-build) code, transitively.
fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
        ])
        .arg(package)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_gateway_depends_on_neither_the_pool_nor_the_lambda_host() {
    let deps = normal_dependencies("gateway");
    assert!(deps.iter().any(|d| d == "common"), "{deps:?}");
    for forbidden in ["userpool", "lambda", "sam", "argon2", "redb"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "gateway pulls in {forbidden}"
        );
    }
}

#[test]
fn the_lambda_host_depends_on_neither_the_pool_nor_crypto() {
    let deps = normal_dependencies("lambda");
    for forbidden in ["userpool", "gateway", "sam", "aws-lc-rs", "argon2", "redb"] {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "lambda pulls in {forbidden}"
        );
    }
}

#[test]
fn the_pool_and_the_planner_depend_on_no_other_service() {
    for (package, forbidden) in [
        ("userpool", ["gateway", "lambda", "sam"]),
        ("sam", ["gateway", "lambda", "userpool"]),
    ] {
        let deps = normal_dependencies(package);
        for f in forbidden {
            assert!(!deps.iter().any(|d| d == f), "{package} pulls in {f}");
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `"AWS::Service::Type"` string literals (pseudo parameters like `AWS::Region` have one `::`).
fn resource_type_literals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"AWS::") {
        let lit = &rest[i + 1..];
        let end = lit.find('"').unwrap_or(lit.len());
        let name = &lit[..end];
        if name.matches("::").count() >= 2 {
            found.push(name.to_string());
        }
        rest = &lit[end.min(lit.len())..];
    }
    found
}

#[test]
fn resource_types_are_matched_only_in_the_sam_crate() {
    let mut files = Vec::new();
    for krate in ["gatehouse", "gateway", "lambda", "userpool", "common"] {
        rust_files(
            &workspace().join("crates").join(krate).join("src"),
            &mut files,
        );
    }
    let mut offenders = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        for lit in resource_type_literals(&text) {
            offenders.push(format!("{}: {lit}", f.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "resource types outside crates/sam: {offenders:#?}"
    );
    // The check itself finds what it looks for.
    let sam = std::fs::read_to_string(workspace().join("crates/sam/src/lib.rs")).expect("sam");
    assert!(resource_type_literals(&sam).contains(&"AWS::Cognito::UserPool".to_string()));
}
