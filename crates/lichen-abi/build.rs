//! Turns `context.abi`, the one declaration of the HPy context, into Rust:
//! the `HPyContext` struct and the `context_functions!` / `context_handles!`
//! macros from which every per-member table (host dispatch, debug and trace
//! wrappers, layout checks) is generated.

use std::fmt::Write as _;
use std::{env, fs, path::PathBuf};

struct Func {
    name: String,
    args: Vec<(String, String)>,
    ret: String,
}

enum Member {
    Handle(String),
    Func(Func),
}

fn parse_member(line: &str) -> Member {
    if let Some(name) = line.strip_prefix("handle ") {
        return Member::Handle(name.trim().to_string());
    }
    let rest = line.strip_prefix("fn ").unwrap_or_else(|| panic!("bad line: {line}"));
    let open = rest.find('(').expect("missing (");
    let close = rest.rfind(')').expect("missing )");
    let name = rest[..open].trim().to_string();
    let args = rest[open + 1..close]
        .split(',')
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let (n, t) = a.split_once(':').unwrap_or_else(|| panic!("bad arg in {line}"));
            (n.trim().to_string(), t.trim().to_string())
        })
        .collect();
    let ret = match rest[close + 1..].trim().strip_prefix("->") {
        Some(r) => r.trim().to_string(),
        None => "()".to_string(),
    };
    Member::Func(Func { name, args, ret })
}

fn main() {
    let decl = "context.abi";
    println!("cargo:rerun-if-changed={decl}");
    let text = fs::read_to_string(decl).expect("read context.abi");
    let members: Vec<Member> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(parse_member)
        .collect();

    let mut out = String::new();
    out.push_str("/// The HPy context: constants and function pointers in ABI order.\n");
    out.push_str("#[repr(C)]\n#[allow(non_snake_case)]\npub struct HPyContext {\n");
    out.push_str("    pub name: *const c_char,\n    pub _private: *mut c_void,\n    pub abi_version: c_int,\n");
    for m in &members {
        match m {
            Member::Handle(h) => writeln!(out, "    pub h_{h}: HPy,").unwrap(),
            Member::Func(f) => {
                let args: Vec<String> = f.args.iter().map(|(_, t)| t.clone()).collect();
                let sep = if args.is_empty() { "" } else { ", " };
                writeln!(
                    out,
                    "    pub ctx_{}: unsafe extern \"C\" fn(*mut HPyContext{sep}{}) -> {},",
                    f.name,
                    args.join(", "),
                    f.ret
                )
                .unwrap();
            }
        }
    }
    out.push_str("}\n\n");

    let funcs: Vec<&Func> = members
        .iter()
        .filter_map(|m| if let Member::Func(f) = m { Some(f) } else { None })
        .collect();
    let handles: Vec<&String> = members
        .iter()
        .filter_map(|m| if let Member::Handle(h) = m { Some(h) } else { None })
        .collect();

    out.push_str(
        "/// Calls `$callback! { $($extra),* ; ctx_Field Name (arg: Type, ...) -> Ret, ... }`\n\
         /// with every context function in ABI order.\n\
         #[macro_export]\nmacro_rules! context_functions {\n    ($callback:ident $(, $extra:tt)*) => {\n        $callback! { $($extra),* ;\n",
    );
    for f in &funcs {
        let args: Vec<String> = f.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        writeln!(out, "            ctx_{} {} ({}) -> {},", f.name, f.name, args.join(", "), f.ret).unwrap();
    }
    out.push_str("        }\n    };\n}\n\n");

    out.push_str(
        "/// Calls `$callback! { $($extra),* ; h_Name Name, ... }` with every handle constant in ABI order.\n\
         #[macro_export]\nmacro_rules! context_handles {\n    ($callback:ident $(, $extra:tt)*) => {\n        $callback! { $($extra),* ;\n",
    );
    for h in &handles {
        writeln!(out, "            h_{h} {h},").unwrap();
    }
    out.push_str("        }\n    };\n}\n\n");

    out.push_str(
        "/// Calls `$callback! { $($extra),* ; handle h_Name Name, fn ctx_Name Name, ... }` with\n\
         /// every member after the header, in ABI order.\n\
         #[macro_export]\nmacro_rules! context_members {\n    ($callback:ident $(, $extra:tt)*) => {\n        $callback! { $($extra),* ;\n",
    );
    for m in &members {
        match m {
            Member::Handle(h) => writeln!(out, "            handle h_{h} {h},").unwrap(),
            Member::Func(f) => writeln!(out, "            fn ctx_{} {},", f.name, f.name).unwrap(),
        }
    }
    out.push_str("        }\n    };\n}\n\n");

    out.push_str("/// Index of each context function in [`FUNCTION_NAMES`].\n#[allow(non_upper_case_globals)]\npub mod func_id {\n");
    for (i, f) in funcs.iter().enumerate() {
        writeln!(out, "    pub const {}: usize = {i};", f.name).unwrap();
    }
    out.push_str("}\n\n");

    writeln!(out, "/// Names of the context functions, in ABI order.").unwrap();
    writeln!(out, "pub const FUNCTION_NAMES: [&str; {}] = [", funcs.len()).unwrap();
    for f in &funcs {
        writeln!(out, "    \"{}\",", f.name).unwrap();
    }
    out.push_str("];\n\n");
    writeln!(out, "/// Names of the handle constants, in ABI order.").unwrap();
    writeln!(out, "pub const HANDLE_NAMES: [&str; {}] = [", handles.len()).unwrap();
    for h in &handles {
        writeln!(out, "    \"{h}\",").unwrap();
    }
    out.push_str("];\n");

    let dest = PathBuf::from(env::var("OUT_DIR").unwrap()).join("context.rs");
    fs::write(dest, out).expect("write context.rs");
}
