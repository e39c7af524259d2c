//! Which binary a `rust-cargolambda` function without `BuildProperties.Binary` runs: the
//! package's only one, as cargo-lambda builds it; asked of real cargo on packages written here.

use std::path::Path;

fn package(dir: &Path, name: &str, bins: &[&str]) {
    std::fs::create_dir_all(dir.join("src/bin")).expect("dirs");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
    )
    .expect("manifest");
    for b in bins {
        std::fs::write(dir.join(format!("src/bin/{b}.rs")), "fn main() {}\n").expect("bin");
    }
}

#[tokio::test]
async fn the_packages_only_binary_is_the_one_built() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Named after neither the package nor a logical id: what `sam build` finds by itself.
    package(tmp.path(), "orders-service", &["handler"]);
    let bin = lambda::build::only_binary(tmp.path()).await;
    assert_eq!(bin.ok().as_deref(), Some("handler"));

    // src/main.rs is the package-named binary.
    let main = tmp.path().join("main");
    package(&main, "lambda-main", &[]);
    std::fs::write(main.join("src/main.rs"), "fn main() {}\n").expect("main");
    let bin = lambda::build::only_binary(&main).await;
    assert_eq!(bin.ok().as_deref(), Some("lambda-main"));
}

#[tokio::test]
async fn several_binaries_or_none_are_an_error_that_names_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    package(tmp.path(), "two", &["get", "put"]);
    let e = lambda::build::only_binary(tmp.path())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("2 binaries (get, put)") && e.contains("Metadata.BuildProperties.Binary"),
        "{e}"
    );

    let none = tmp.path().join("lib");
    package(&none, "only-a-lib", &[]);
    std::fs::write(none.join("src/lib.rs"), "").expect("lib");
    let e = lambda::build::only_binary(&none)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("no binary target"), "{e}");
}
