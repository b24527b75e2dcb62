//! JSON read with object keys in file order, and typed access that knows where it is.
//!
//! BluePyOpt and BluePyEModel apply parameters, mechanisms and protocols in the order of their
//! files (Python dicts keep insertion order), so objects are read as ordered lists of entries
//! rather than serde_json's sorted maps. Every accessor reports failures as a [`ConfigError`]
//! naming the file and the JSON path of the offending value.

use super::error::ConfigError;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::path::Path;

/// A JSON value whose objects keep their keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, entries in file order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Json, E> {
                Ok(Json::Number(x as f64))
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Json, E> {
                Ok(Json::Number(x as f64))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Json, E> {
                Ok(Json::Number(x))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element()? {
                    out.push(x);
                }
                Ok(Json::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut out: Vec<(String, Json)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    // Python's json keeps the last of duplicated keys, at the first one's place.
                    match out.iter_mut().find(|(x, _)| *x == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Json::Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON document read from a file, with its text (for locating errors).
#[derive(Debug, Clone)]
pub struct Document {
    /// The file, as the user named it.
    pub file: String,
    /// Its text.
    pub text: String,
    /// The parsed value.
    pub root: Json,
}

impl Document {
    /// Reads and parses a JSON file.
    pub fn read(path: &Path) -> Result<Document, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&file, "", format!("cannot read the file: {e}")))?;
        Document::parse(&file, text)
    }

    /// Parses JSON text that came from `file`.
    pub fn parse(file: &str, text: String) -> Result<Document, ConfigError> {
        let root: Json = serde_json::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let what = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            ConfigError::new(file, "", format!("invalid JSON: {what}"))
                .at_line(e.line(), e.column())
                .hint("the file must be valid JSON (no trailing commas, no comments)")
        })?;
        Ok(Document { file: file.to_string(), text, root })
    }

    /// The root value with its path.
    pub fn node(&self) -> Node<'_> {
        Node { v: &self.root, path: String::new(), file: &self.file }
    }
}

/// A value in a document, with its JSON path.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The value.
    pub v: &'a Json,
    /// Its path, e.g. `bAP.stimuli[0].delay` (empty for the root).
    pub path: String,
    /// The file it came from.
    pub file: &'a str,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Node<'a> {
    /// An error about this value.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, &self.path, message)
    }

    fn expected(&self, what: &str) -> ConfigError {
        self.error(format!("expected {what}, found {}", self.v.kind()))
    }

    /// The entries of an object, in file order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, ConfigError> {
        match self.v {
            Json::Object(e) => Ok(e
                .iter()
                .map(|(k, v)| (k.as_str(), Node { v, path: join(&self.path, k), file: self.file }))
                .collect()),
            _ => Err(self.expected("an object")),
        }
    }

    /// The elements of an array.
    pub fn items(&self) -> Result<Vec<Node<'a>>, ConfigError> {
        match self.v {
            Json::Array(a) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| Node { v, path: format!("{}[{i}]", self.path), file: self.file })
                .collect()),
            _ => Err(self.expected("an array")),
        }
    }

    /// A member of an object, if present (and not null).
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.v {
            Json::Object(e) => e
                .iter()
                .find(|(k, v)| k == key && !matches!(v, Json::Null))
                .map(|(_, v)| Node { v, path: join(&self.path, key), file: self.file }),
            _ => None,
        }
    }

    /// Whether this object has `key` (even if null).
    pub fn has(&self, key: &str) -> bool {
        matches!(self.v, Json::Object(e) if e.iter().any(|(k, _)| k == key))
    }

    /// A required member of an object.
    pub fn req(&self, key: &str) -> Result<Node<'a>, ConfigError> {
        if !matches!(self.v, Json::Object(_)) {
            return Err(self.expected("an object"));
        }
        self.get(key).ok_or_else(|| ConfigError::new(self.file, &self.path, format!("missing `{key}`")))
    }

    /// This value as a finite number.
    pub fn f64(&self) -> Result<f64, ConfigError> {
        match self.v {
            Json::Number(x) if x.is_finite() => Ok(*x),
            Json::Number(x) => Err(self.error(format!("{x} is not a finite number"))),
            _ => Err(self.expected("a number")),
        }
    }

    /// This value as a string.
    pub fn str(&self) -> Result<&'a str, ConfigError> {
        match self.v {
            Json::String(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    /// This value as a boolean.
    pub fn bool(&self) -> Result<bool, ConfigError> {
        match self.v {
            Json::Bool(b) => Ok(*b),
            _ => Err(self.expected("true or false")),
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self.v, Json::Null)
    }

    /// Rejects members other than `known` (typos in configuration files otherwise pass
    /// silently and change the model).
    pub fn only(&self, known: &[&str]) -> Result<(), ConfigError> {
        for (k, n) in self.entries()? {
            if !known.contains(&k) && !k.starts_with("__comment") {
                return Err(n
                    .error(format!("unknown key `{k}`"))
                    .hint(format!("known keys here: {}", known.join(", "))));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_paths() {
        let d = Document::parse("x.json", r#"{"b": 1, "a": {"z": [1, "s"]}}"#.into()).unwrap();
        let e = d.node().entries().unwrap();
        assert_eq!(e.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["b", "a"]);
        let items = e[1].1.req("z").unwrap().items().unwrap();
        assert_eq!(items[1].path, "a.z[1]");
        let err = items[1].f64().unwrap_err();
        assert_eq!(err.path, "a.z[1]");
        assert!(err.message.contains("expected a number, found a string"), "{err}");
        let err = d.node().req("c").unwrap_err();
        assert!(err.to_string().contains("x.json") && err.message.contains("missing `c`"), "{err}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = Document::parse("bad.json", "{\n\"a\": 1,\n}".into()).unwrap_err();
        assert_eq!(err.line, Some((3, 1)));
    }
}
