//! Turns `callbacks.def`, the one list of the calls this host makes into
//! PyPy, into the Rust `Callbacks` table (a `#[repr(C)]` struct of function
//! pointers, in the order of the file) and the `CALLBACK_COUNT` constant that
//! `lichen_init` checks the Python side's table against.

use std::fmt::Write as _;
use std::{env, fs, path::PathBuf};

/// The Rust spelling of a C type of `callbacks.def`.
fn rust_type(c: &str) -> &'static str {
    match c.trim() {
        "lh" => "isize",
        "int" => "core::ffi::c_int",
        "intptr_t" => "isize",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        "uint32_t" => "u32",
        "double" => "f64",
        "void" => "()",
        "void *" => "*mut core::ffi::c_void",
        "const char *" => "*const core::ffi::c_char",
        "const lh *" => "*const isize",
        "lh *" => "*mut isize",
        "intptr_t *" => "*mut isize",
        "const intptr_t *" => "*const isize",
        "const int32_t *" => "*const i32",
        "const struct lichen_type_def *" => "*const crate::typedef::TypeDef",
        other => panic!("callbacks.def: no Rust spelling for C type '{other}'"),
    }
}

/// The value a callback of C return type `c` returns when its Python code
/// raised (the rule python/lichen/_pypy/build.py gives cffi), as Rust; None
/// for `void`.
fn error_value(c: &str) -> Option<&'static str> {
    Some(match c.trim() {
        "lh" => "0",
        "int" | "intptr_t" | "int64_t" => "-1",
        "uint64_t" => "u64::MAX",
        "uint32_t" => "u32::MAX",
        "double" => "-1.0",
        "void" => return None,
        _ => "core::ptr::null_mut()",
    })
}

/// Splits `const char *name` into (`const char *`, `name`).
fn split_decl(decl: &str) -> (String, String) {
    let decl = decl.trim();
    let at = decl.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).expect("a declaration");
    (decl[..=at].trim().to_string(), decl[at + 1..].to_string())
}

fn main() {
    let def = "callbacks.def";
    println!("cargo:rerun-if-changed={def}");
    let text = fs::read_to_string(def).expect("read callbacks.def");
    let mut out = String::from(
        "/// The calls into PyPy, in the order of `callbacks.def`; filled by the\n\
         /// cffi module with the addresses of its `extern \"Python\"` functions.\n\
         #[repr(C)]\n#[derive(Clone, Copy)]\npub struct Callbacks {\n",
    );
    let mut count = 0;
    let mut errors = String::from(
        "/// The value each callback returns when it failed (see callbacks.def).\n\
         #[allow(non_upper_case_globals)]\npub mod error_values {\n",
    );
    let mut pure = String::from(
        "/// Whether a callback runs no code of the user's and changes no list\n\
         /// (then native code's copies of list items stay current; see callbacks.def).\n\
         #[allow(non_upper_case_globals)]\npub mod pure {\n",
    );
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (line, note) = line.split_once('#').map_or((line, ""), |(l, n)| (l.trim(), n.trim()));
        let notes: Vec<&str> = note.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let valued = notes.contains(&"valued");
        writeln!(pure, "    pub const {}: bool = {};", split_decl(&line[..line.find('(').expect("(")]).1, notes.contains(&"pure")).unwrap();
        let line = line.strip_suffix(';').unwrap_or_else(|| panic!("callbacks.def: no ';' in {line}"));
        let open = line.find('(').expect("(");
        let (ret, name) = split_decl(&line[..open]);
        let args: Vec<String> = line[open + 1..line.len() - 1]
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "void")
            .map(|a| {
                let (ty, arg) = split_decl(a);
                format!("r#{arg}: {}", rust_type(&ty))
            })
            .collect();
        writeln!(out, "    pub {name}: unsafe extern \"C\" fn({}) -> {},", args.join(", "), rust_type(&ret)).unwrap();
        if let Some(v) = error_value(&ret).filter(|_| !valued) {
            let ty = rust_type(&ret);
            let v = if ty.contains("*const") { "core::ptr::null()" } else { v };
            writeln!(errors, "    pub const {name}: Option<{ty}> = Some({v});").unwrap();
        } else {
            writeln!(errors, "    pub const {name}: Option<{}> = None;", rust_type(&ret)).unwrap();
        }
        count += 1;
    }
    out.push_str("}\n\n");
    errors.push_str("}\n\n");
    out.push_str(&errors);
    pure.push_str("}\n\n");
    out.push_str(&pure);
    writeln!(out, "/// How many callbacks `Callbacks` holds.\npub const CALLBACK_COUNT: usize = {count};").unwrap();
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap()).join("callbacks.rs");
    fs::write(dest, out).expect("write callbacks.rs");
}
