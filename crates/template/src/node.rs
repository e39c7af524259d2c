//! The template as a tree of nodes that remember their line, with CloudFormation's short tags
//! (`!Ref`, `!GetAtt`, `!Sub`, ...) turned into their long forms (`{"Ref": ...}`).

use saphyr::{MarkedYaml, Scalar, ScanError, YamlData, YamlLoader};
use saphyr_parser::{Event, Parser, Span, SpannedEventReceiver};

/// One YAML value and the line (1-based) it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts, for error messages.
    pub line: usize,
    /// The value itself.
    pub value: Value,
}

/// A YAML value; mappings keep their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in document order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is a plain string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string, or the strings of a list (`DependsOn`, `Transform`: one name or several).
    pub fn strings(&self) -> Vec<String> {
        match &self.value {
            Value::Str(s) => vec![s.clone()],
            Value::Seq(items) => items
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The mapping's entries, when this is a mapping.
    pub fn entries(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The single `(name, argument)` of an intrinsic function call (`Ref`, `Fn::*`, `Condition`).
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match self.entries()? {
            [(name, arg)] if name == "Ref" || name == "Condition" || name.starts_with("Fn::") => {
                Some((name, arg))
            }
            _ => None,
        }
    }
}

/// A YAML syntax error with its line.
#[derive(Debug)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// What the parser said.
    pub message: String,
}

/// A key given twice in one mapping: CloudFormation takes the last value, and so do we, but
/// the template's author should hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// The line of its first occurrence.
    pub first: usize,
    /// The line of the occurrence that wins.
    pub last: usize,
}

/// What the loader is inside of, for finding duplicate keys.
enum Frame {
    /// A mapping: the scalar keys seen so far (with their lines), and whether the next node is a
    /// key.
    Map {
        keys: std::collections::HashMap<String, usize>,
        want_key: bool,
    },
    /// A sequence.
    Seq,
}

/// saphyr's loader, told to keep the last of duplicate keys as CloudFormation does, with each
/// duplicate noted on the way.
struct Loader<'input> {
    inner: YamlLoader<'input, MarkedYaml<'input>>,
    stack: Vec<Frame>,
    duplicates: Vec<Duplicate>,
}

impl<'input> SpannedEventReceiver<'input> for Loader<'input> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let line = span.start.line();
        let begins = matches!(
            ev,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if begins && let Some(Frame::Map { keys, want_key }) = self.stack.last_mut() {
            if *want_key {
                if let Event::Scalar(text, ..) = &ev {
                    if let Some(&first) = keys.get(text.as_ref()) {
                        self.duplicates.push(Duplicate {
                            key: text.to_string(),
                            first,
                            last: line,
                        });
                    }
                    keys.insert(text.to_string(), line);
                }
            }
            *want_key = !*want_key;
        }
        match ev {
            Event::MappingStart(..) => self.stack.push(Frame::Map {
                keys: std::collections::HashMap::new(),
                want_key: true,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq),
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
        self.inner.on_event(ev, span);
    }
}

/// Parses one YAML document; also returns the keys given twice in one mapping (the last value
/// is kept, as CloudFormation keeps it).
///
/// One leniency, as PyYAML's (SAM CLI's) and CloudFormation's: a flow collection's closing
/// `]` or `}` on a line of its own at the indentation of the key that holds it. YAML 1.2 wants
/// it indented further; such a line is indented one space more and the text parsed again (the
/// meaning and the line numbers are the same).
pub fn parse(text: &str) -> Result<(Node, Vec<Duplicate>), SyntaxError> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for _ in 0..256 {
        match parse_strict(&text) {
            Err(e) if e.message == "invalid indentation" => {
                let mut lines: Vec<&str> = text.split('\n').collect();
                let Some(line) = e.line.checked_sub(1).and_then(|i| lines.get(i)) else {
                    return Err(e);
                };
                if !line.trim_start().starts_with([']', '}']) {
                    return Err(e);
                }
                let indented = format!(" {line}");
                lines[e.line - 1] = &indented;
                text = std::borrow::Cow::Owned(lines.join("\n"));
            }
            other => return other,
        }
    }
    parse_strict(&text)
}

fn parse_strict(text: &str) -> Result<(Node, Vec<Duplicate>), SyntaxError> {
    let mut inner = YamlLoader::default();
    inner.allow_duplicate_keys(true);
    let mut loader = Loader {
        inner,
        stack: Vec::new(),
        duplicates: Vec::new(),
    };
    let scan = |e: &ScanError| SyntaxError {
        line: e.marker().line(),
        message: e.info().to_string(),
    };
    Parser::new_from_str(text)
        .load(&mut loader, true)
        .map_err(|e| scan(&e))?;
    if let Some(e) = loader.inner.error() {
        return Err(scan(e));
    }
    let duplicates = loader.duplicates;
    match loader.inner.into_documents().into_iter().next() {
        Some(doc) => Ok((convert(&doc)?, duplicates)),
        None => Err(SyntaxError {
            line: 1,
            message: "the file is empty".into(),
        }),
    }
}

fn convert(y: &MarkedYaml<'_>) -> Result<Node, SyntaxError> {
    let line = y.span.start.line();
    let value = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::Str(text.to_string()),
        YamlData::Sequence(items) => {
            Value::Seq(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                let key = match &k.data {
                    YamlData::Value(s) => scalar_text(s),
                    YamlData::Representation(text, _, _) => text.to_string(),
                    _ => {
                        return Err(SyntaxError {
                            line: k.span.start.line(),
                            message: "a mapping key must be a plain scalar".into(),
                        });
                    }
                };
                entries.push((key, convert(v)?));
            }
            Value::Map(entries)
        }
        YamlData::Tagged(tag, inner) => return short_form(line, &tag.handle, &tag.suffix, inner),
        YamlData::Alias(_) => {
            return Err(SyntaxError {
                line,
                message: "YAML aliases are not supported in templates".into(),
            });
        }
        YamlData::BadValue => {
            return Err(SyntaxError {
                line,
                message: "a value could not be read".into(),
            });
        }
    };
    Ok(Node { line, value })
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

fn scalar_text(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Null => "null".into(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

/// Turns `!Name arg` into `{"Fn::Name": arg}` (`!Ref` and `!Condition` keep their names;
/// `!GetAtt A.b` becomes `{"Fn::GetAtt": ["A", "b"]}`).
fn short_form(
    line: usize,
    handle: &str,
    suffix: &str,
    inner: &MarkedYaml<'_>,
) -> Result<Node, SyntaxError> {
    // Core-schema tags (`!!str 42`) only change how a scalar is read.
    if handle == "!!" || handle.starts_with("tag:yaml.org") {
        let node = convert(inner)?;
        return Ok(match (suffix, node.value) {
            ("str", Value::Int(i)) => Node {
                line,
                value: Value::Str(i.to_string()),
            },
            ("str", Value::Float(f)) => Node {
                line,
                value: Value::Str(f.to_string()),
            },
            ("str", Value::Bool(b)) => Node {
                line,
                value: Value::Str(b.to_string()),
            },
            (_, value) => Node { line, value },
        });
    }
    let mut arg = convert(inner)?;
    let name = match suffix {
        "Ref" | "Condition" => suffix.to_string(),
        "GetAtt" => {
            if let Value::Str(s) = &arg.value {
                let Some((res, attr)) = s.split_once('.') else {
                    return Err(SyntaxError {
                        line,
                        message: format!("!GetAtt {s}: expected Resource.Attribute"),
                    });
                };
                arg.value = Value::Seq(vec![
                    Node {
                        line,
                        value: Value::Str(res.into()),
                    },
                    Node {
                        line,
                        value: Value::Str(attr.into()),
                    },
                ]);
            }
            "Fn::GetAtt".into()
        }
        "Sub" | "Join" | "If" | "Equals" | "Not" | "And" | "Or" | "Select" | "Split" | "Base64"
        | "FindInMap" | "GetAZs" | "ImportValue" | "Cidr" | "Transform" | "Length"
        | "ToJsonString" => format!("Fn::{suffix}"),
        other => {
            return Err(SyntaxError {
                line,
                message: format!("unknown tag !{other}"),
            });
        }
    };
    Ok(Node {
        line,
        value: Value::Map(vec![(name, arg)]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_forms_with_lines() {
        let (n, _) = parse("a: !Ref X\nb: !GetAtt Pool.Arn\nc: !Sub 'x-${Y}'\n").expect("parses");
        let a = n.get("a").expect("a");
        assert_eq!(a.line, 1);
        let (name, arg) = a.intrinsic().expect("intrinsic");
        assert_eq!((name, arg.as_str()), ("Ref", Some("X")));
        let (name, arg) = n.get("b").expect("b").intrinsic().expect("intrinsic");
        assert_eq!(name, "Fn::GetAtt");
        assert!(
            matches!(&arg.value, Value::Seq(v) if v.len() == 2 && v[1].as_str() == Some("Arn"))
        );
        assert_eq!(n.get("c").expect("c").intrinsic().expect("fn").0, "Fn::Sub");
        assert_eq!(n.get("c").expect("c").line, 3);
    }

    #[test]
    fn a_closing_bracket_at_its_keys_indentation_is_read_as_pyyaml_reads_it() {
        let text = "A:\n  Action: [\n    \"x\",\n    \"y\"\n  ]\n  B: {\n    k: v\n  }\n  C: 1\n";
        assert!(parse_strict(text).is_err(), "strict YAML 1.2 refuses it");
        let (n, _) = parse(text).expect("parses");
        let a = n.get("A").expect("A");
        let items: Vec<&str> = match &a.get("Action").expect("Action").value {
            Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(items, ["x", "y"]);
        assert_eq!(
            a.get("B").and_then(|b| b.get("k")).and_then(Node::as_str),
            Some("v")
        );
        assert_eq!(a.get("C").map(|c| c.line), Some(9));
        // Other indentation errors stay errors.
        assert!(parse("A:\n  b: 1\n c: 2\n").is_err());
    }

    #[test]
    fn syntax_error_reports_its_line() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").expect_err("unclosed flow sequence");
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn unknown_tag_is_an_error() {
        let e = parse("a: !Nope x\n").expect_err("unknown tag");
        assert!(e.message.contains("!Nope"));
    }
}
