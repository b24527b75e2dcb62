//! Every recipe in docs/recipe.md and README.md is checked and run, so that the language
//! reference cannot drift from the implementation: a ```recipe block must run without errors;
//! a ```recipe error CODE block must be rejected with that code, and when a plain ``` block
//! starting with `error[` follows it, `myelin check` must print exactly that.

mod recipe_support;

use recipe_support::*;

struct Block {
    info: String,
    text: String,
    line: usize,
    expected: Option<String>,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let lines: Vec<&str> = doc.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let start = i + 1;
            let mut j = start;
            while j < lines.len() && !lines[j].starts_with("```") {
                j += 1;
            }
            let text = lines[start..j].join("\n") + "\n";
            let info = info.trim().to_string();
            if info.is_empty() && text.starts_with("error[") {
                if let Some(prev) = out.last_mut() {
                    prev.expected = Some(text.clone());
                }
            }
            if info.starts_with("recipe") {
                out.push(Block { info, text, line: start, expected: None });
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn check_doc(name: &str) {
    let doc = std::fs::read_to_string(repo().join(name)).unwrap();
    let bs = blocks(&doc);
    assert!(!bs.is_empty(), "{name} has no recipe examples");
    let mut failures = Vec::new();
    for (k, b) in bs.iter().enumerate() {
        let dir = scratch(&format!("{}-{k}", name.replace(['.', '/'], "_")));
        provide_cell_swc(&dir);
        std::fs::write(dir.join("p.recipe"), &b.text).unwrap();
        if let Some(code) = b.info.strip_prefix("recipe error") {
            let code = code.trim();
            let o = myelin(&dir, &["check", "p.recipe"]);
            let err = stderr(&o);
            if o.status.code() != Some(1) || !err.contains(&format!("error[{code}]")) {
                failures.push(format!("{name}:{}: expected {code}, got:\n{err}", b.line));
            }
            if let Some(want) = &b.expected {
                if err.trim() != want.trim() {
                    failures.push(format!(
                        "{name}:{}: the rendered diagnostic differs:\n{err}\nwant:\n{want}",
                        b.line
                    ));
                }
            }
        } else {
            let o = myelin(&dir, &["run", "p.recipe", "--out", "out"]);
            let err = stderr(&o);
            if !o.status.success() || err.contains("error") {
                failures.push(format!("{name}:{}: the example fails:\n{err}", b.line));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn language_reference_examples_run() {
    check_doc("docs/recipe.md");
}

#[test]
fn readme_examples_run() {
    check_doc("README.md");
}
