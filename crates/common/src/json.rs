//! Reading JSON the way templates and state files write it.

use serde_json::Value as Json;

/// A string (one item) or a list of strings (its strings; anything else in it is skipped);
/// anything else is no items.
pub fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(l) => l
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_string_or_a_list_of_them() {
        assert_eq!(strings(&json!("a")), ["a"]);
        assert_eq!(strings(&json!(["a", 1, "b"])), ["a", "b"]);
        assert!(strings(&json!({"a": 1})).is_empty());
        assert!(strings(&Json::Null).is_empty());
    }
}
