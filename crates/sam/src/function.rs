//! `AWS::Serverless::Function`, its Globals merged in, and `AWS::Lambda::Function`: what the
//! Lambda host needs to build and run it.

use std::path::Path;
use std::path::PathBuf;

use serde_json::Value as Json;
use template::{Physical, Resource, Stack};

/// One function, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Logical id.
    pub logical_id: String,
    /// `FunctionName`, else the logical id (`Owner-Id` in a nested stack): what the host and
    /// routes call it.
    pub name: String,
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub arn: String,
    /// The line of the logical id.
    pub line: usize,
    /// `Runtime` (`provided.al2023`, `python3.12`, ...; empty when absent).
    pub runtime: String,
    /// `Handler`.
    pub handler: String,
    /// `CodeUri` joined to the template's folder (the folder itself when absent, as SAM does);
    /// a file when it names one (its code is that file alone).
    pub code_dir: PathBuf,
    /// `InlineCode`: the handler's source, in place of a folder.
    pub inline_code: Option<String>,
    /// Where the code is when `CodeUri` is not a local folder (`s3://bucket/key`, from either
    /// of its forms): it cannot run locally.
    pub code_in_s3: Option<String>,
    /// `Layers`: their ARNs (a layer of this template resolves to its own).
    pub layers: Vec<String>,
    /// How `sam build` builds it (`Metadata.BuildMethod`), where gatehouse builds it too.
    pub build: Option<Build>,
    /// `Environment.Variables`, as text.
    pub env: Vec<(String, String)>,
    /// `Timeout`, seconds (Lambda's default 3).
    pub timeout_secs: u64,
    /// `MemorySize`, MB (default 128).
    pub memory_mb: u32,
    /// `ReservedConcurrentExecutions`.
    pub reserved_concurrency: Option<usize>,
    /// The ARN of its execution role: `Role`, or SAM's generated `<Function>Role` (set when the
    /// app is resolved, with the roles).
    pub role_arn: Option<String>,
}

fn int(props: &Json, key: &str) -> Option<u64> {
    props[key]
        .as_u64()
        .or_else(|| props[key].as_str().and_then(|s| s.parse().ok()))
}

/// `AWS::Lambda::Function`'s resolved properties in the shape [`Function::from_props`] reads:
/// `Code` as a local path (CDK's asset, see `template`), `{ZipFile}` (inline code) or
/// `{S3Bucket, S3Key}` (code in S3) becomes `CodeUri`/`InlineCode`; the rest is the same.
pub fn sam_shaped(mut props: Json) -> Json {
    let code = props.get_mut("Code").map(Json::take).unwrap_or(Json::Null);
    let Json::Object(o) = &mut props else {
        return props;
    };
    match code {
        Json::String(path) => {
            o.insert("CodeUri".into(), Json::String(path));
        }
        Json::Object(mut c) => {
            if let Some(zip) = c.remove("ZipFile") {
                o.insert("InlineCode".into(), zip);
            } else if let Some(bucket) = c.remove("S3Bucket") {
                let key = c.remove("S3Key").unwrap_or(Json::Null);
                o.insert(
                    "CodeUri".into(),
                    serde_json::json!({"Bucket": bucket, "Key": key}),
                );
            } else if let Some(image) = c.remove("ImageUri") {
                o.insert("ImageUri".into(), image);
            }
        }
        _ => {}
    }
    props
}

/// A function's `Metadata.BuildMethod`, for the methods gatehouse runs as `sam build` does.
#[derive(Debug, Clone, PartialEq)]
pub enum Build {
    /// `rust-cargolambda`: the binary `BuildProperties.Binary` names, or (`None`) the
    /// package's only binary, as cargo-lambda picks it without `--bin`.
    Cargo {
        /// `BuildProperties.Binary`.
        binary: Option<String>,
    },
    /// `esbuild`: `BuildProperties` with sam-cli's `snake_case` keys, `entry_points`
    /// defaulted as sam-cli does (the handler's file part) when absent.
    Esbuild {
        /// The normalised properties.
        properties: serde_json::Map<String, Json>,
    },
    /// `makefile`: `make build-<LogicalId>` with `ARTIFACTS_DIR`.
    Makefile {
        /// `Metadata.WorkingDirectory`, joined to the template's folder.
        working_dir: Option<PathBuf>,
    },
}

impl Build {
    /// The `BuildMethod` as the template spells it.
    pub fn method(&self) -> &'static str {
        match self {
            Build::Cargo { .. } => "rust-cargolambda",
            Build::Esbuild { .. } => "esbuild",
            Build::Makefile { .. } => "makefile",
        }
    }

    /// The build `metadata` asks for, for a function whose `Handler` is `handler`; `None` for
    /// the methods that are the runtime's own (`python3.12`, `nodejs20.x`: dependencies only).
    fn of(metadata: &Json, handler: &str, dir: &Path) -> Option<Build> {
        let props = &metadata["BuildProperties"];
        match metadata["BuildMethod"].as_str()? {
            "rust-cargolambda" => Some(Build::Cargo {
                binary: props["Binary"].as_str().map(str::to_string),
            }),
            "esbuild" => {
                let mut properties: serde_json::Map<String, Json> = props
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| (snake_case(k), v.clone())).collect())
                    .unwrap_or_default();
                if props.get("EntryPoints").is_none() {
                    let file = handler.split('.').next().unwrap_or(handler);
                    properties.insert("entry_points".into(), Json::from(vec![file]));
                }
                Some(Build::Esbuild { properties })
            }
            "makefile" => Some(Build::Makefile {
                working_dir: metadata["WorkingDirectory"].as_str().map(|w| dir.join(w)),
            }),
            _ => None,
        }
    }
}

/// sam-cli's normalisation of a `BuildProperties` key (`EntryPoints` → `entry_points`):
/// an underscore before every capital but the first, then lower case.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl Function {
    /// A function from its properties (Globals merged, resolved).
    pub fn from_props(
        stack: &Stack,
        r: &Resource,
        props: &Json,
        dir: &Path,
    ) -> Result<Function, String> {
        let inline_code = props["InlineCode"].as_str().map(str::to_string);
        let (code_dir, code_in_s3) = match &props["CodeUri"] {
            Json::Null => (dir.to_path_buf(), None),
            Json::String(code) if code.starts_with("s3://") => {
                (dir.to_path_buf(), Some(code.clone()))
            }
            Json::String(code) => (dir.join(code), None),
            // SAM's object form: `{Bucket, Key, Version}`.
            Json::Object(o) if o.get("Bucket").is_some_and(Json::is_string) => {
                let text = |k: &str| o.get(k).map(template::json_text).unwrap_or_default();
                (
                    dir.to_path_buf(),
                    Some(format!("s3://{}/{}", text("Bucket"), text("Key"))),
                )
            }
            _ => {
                return Err("CodeUri must be a local folder, an s3:// URI or {Bucket, Key}".into());
            }
        };
        let metadata = match &r.metadata {
            Some(m) => stack
                .resolve(m, &Physical::default(), &r.logical_id)
                .unwrap_or(Json::Null),
            None => Json::Null,
        };
        let handler = props["Handler"].as_str().unwrap_or("bootstrap").to_string();
        let build = Build::of(&metadata, &handler, dir);
        let env = props["Environment"]["Variables"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), template::json_text(v)))
                    .collect()
            })
            .unwrap_or_default();
        // A nested stack's `Owner/Id` has no `/` in a name (function names cannot).
        let name = props["FunctionName"]
            .as_str()
            .map_or_else(|| r.logical_id.replace('/', "-"), str::to_string);
        Ok(Function {
            logical_id: r.logical_id.clone(),
            arn: crate::identity::function_arn(&stack.pseudo, &name),
            name,
            line: r.line,
            runtime: props["Runtime"].as_str().unwrap_or_default().to_string(),
            handler,
            code_dir,
            inline_code,
            code_in_s3,
            layers: props["Layers"]
                .as_array()
                .map(|l| l.iter().map(template::json_text).collect())
                .unwrap_or_default(),
            build,
            env,
            timeout_secs: int(props, "Timeout").unwrap_or(3),
            memory_mb: int(props, "MemorySize")
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(128),
            reserved_concurrency: int(props, "ReservedConcurrentExecutions")
                .and_then(|c| usize::try_from(c).ok()),
            role_arn: props["Role"].as_str().map(str::to_string),
        })
    }
}

/// A layer with local content.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Logical id.
    pub logical_id: String,
    /// Its ARN (what `Ref` gives, and what functions' `Layers` name).
    pub arn: String,
    /// The folder with its content (`python/`, `nodejs/node_modules/`, or a `requirements.txt`
    /// or `package.json` to install), relative paths joined to the template's folder.
    pub content_dir: PathBuf,
    /// `Metadata.BuildMethod` (`python3.12`, `nodejs20.x`, `makefile`), when given.
    pub build_method: Option<String>,
}

impl Layer {
    /// A layer from `AWS::Serverless::LayerVersion` (`ContentUri`) or `AWS::Lambda::LayerVersion`
    /// (`Content` as a local path); `None` when its content is not local (an S3 object).
    pub fn from_props(
        stack: &Stack,
        r: &Resource,
        arn: String,
        props: &Json,
        dir: &Path,
    ) -> Result<Option<Layer>, String> {
        let content = props
            .get("ContentUri")
            .or_else(|| props.get("Content"))
            .cloned()
            .unwrap_or(Json::Null);
        let Json::String(path) = content else {
            return Ok(None);
        };
        if path.starts_with("s3://") {
            return Ok(None);
        }
        let metadata = match &r.metadata {
            Some(m) => stack
                .resolve(m, &Physical::default(), &r.logical_id)
                .unwrap_or(Json::Null),
            None => Json::Null,
        };
        Ok(Some(Layer {
            logical_id: r.logical_id.clone(),
            arn,
            content_dir: dir.join(path),
            build_method: metadata["BuildMethod"].as_str().map(str::to_string),
        }))
    }
}
