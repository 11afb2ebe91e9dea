//! Every size and offset of the ABI types, checked against the `hpy` 0.9.0
//! headers of an installed `hpy` package.
//!
//! The test asks a Python interpreter where `hpy.devel` keeps its headers,
//! writes a C program that includes `hpy.h` in universal-ABI mode and prints
//! `sizeof`/`offsetof` of every type and member listed below, compiles it with
//! `cc` (or `$CC`), runs it and compares each number with Rust's
//! `size_of`/`offset_of!`. The context members come from the generated
//! `context_members!` macro, so the list cannot drift from `context.abi`.
//!
//! Interpreter: `$LICHEN_PYTHON`, else `.venv/3.11/bin/python` at the
//! repository root, else `python3`. Without `hpy` installed there the test
//! fails (it must not pass by checking nothing).

use lichen_abi::trampoline;
use lichen_abi::*;
use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One number the C side prints and the Rust side computes, keyed like
/// `sizeof HPyMeth` or `offsetof HPyMeth impl`.
struct Entry {
    key: String,
    c_expr: String,
    rust: usize,
}

#[derive(Default)]
struct Layouts {
    entries: Vec<Entry>,
}

impl Layouts {
    fn size(&mut self, c_type: &str, size: usize, align: usize) {
        self.push(format!("sizeof {c_type}"), format!("sizeof({c_type})"), size);
        self.push(format!("alignof {c_type}"), format!("_Alignof({c_type})"), align);
    }

    fn offset(&mut self, c_type: &str, c_field: &str, rust: usize) {
        self.push(
            format!("offsetof {c_type} {c_field}"),
            format!("offsetof({c_type}, {c_field})"),
            rust,
        );
    }

    fn push(&mut self, key: String, c_expr: String, rust: usize) {
        self.entries.push(Entry { key, c_expr, rust });
    }
}

/// The C name of a Rust field: Rust adds a trailing `_` to C names that are
/// Rust keywords (`impl`, `type`, `self`).
fn c_field(rust_field: &str) -> &str {
    rust_field.strip_suffix('_').unwrap_or(rust_field)
}

/// Records size, alignment and every field offset of a struct.
macro_rules! layout {
    ($l:expr, $rust:ty, $c:expr; $($field:ident),* $(,)?) => {{
        $l.size($c, size_of::<$rust>(), align_of::<$rust>());
        $( $l.offset($c, c_field(stringify!($field)), offset_of!($rust, $field)); )*
    }};
    ($l:expr, $rust:ident { $($field:ident),* $(,)? }) => {
        layout!($l, $rust, stringify!($rust); $($field),*)
    };
}

/// Records the offset of every context member, generated from `context.abi`.
macro_rules! context_offsets {
    ($l:expr ; $($kind:ident $field:ident $name:ident,)*) => {
        $( $l.offset("HPyContext", stringify!($field), offset_of!(HPyContext, $field)); )*
    };
}

/// The trampoline argument blocks (`_HPyFunc_args_X` in C), from the
/// signature declaration: every field's offset, `result` included.
macro_rules! block_layout {
    ($l:expr, $name:ident ($($f:ident : $k:tt),*) -> none) => {
        layout!($l, trampoline::$name, concat!("_HPyFunc_args_", stringify!($name)); $($f),*)
    };
    ($l:expr, $name:ident ($($f:ident : $k:tt),*) -> $r:tt) => {
        layout!($l, trampoline::$name, concat!("_HPyFunc_args_", stringify!($name)); $($f,)* result)
    };
}

macro_rules! arg_blocks {
    ($l:expr ; $($name:ident = $n:literal, $lower:ident, $ctx:ident $params:tt -> $r:tt, $block:tt;)*) => {
        $( lichen_abi::hpyfunc_block!(block_layout [$l,] $name $params -> $r, $block); )*
    };
}

fn rust_layouts() -> Layouts {
    let mut l = Layouts::default();

    l.size("HPyContext", size_of::<HPyContext>(), align_of::<HPyContext>());
    l.offset("HPyContext", "name", offset_of!(HPyContext, name));
    l.offset("HPyContext", "_private", offset_of!(HPyContext, _private));
    l.offset("HPyContext", "abi_version", offset_of!(HPyContext, abi_version));
    context_members!(context_offsets, l);

    layout!(l, HPy { _i });
    layout!(l, HPyField { _i });
    layout!(l, HPyGlobal { _i });
    layout!(l, HPyTracker { _i });
    layout!(l, HPyListBuilder { _lst });
    layout!(l, HPyTupleBuilder { _tup });
    layout!(l, HPyThreadState { _i });

    layout!(l, HPySlot { slot, impl_, cpy_trampoline });
    layout!(l, HPyMeth { name, impl_, cpy_trampoline, signature, doc });
    layout!(l, HPyMember { name, type_, offset, readonly, doc });
    layout!(l, HPyGetSet {
        name,
        getter_impl,
        setter_impl,
        getter_cpy_trampoline,
        setter_cpy_trampoline,
        doc,
        closure,
    });
    // HPyDef's union is anonymous in C: its members are reached directly.
    l.size("HPyDef", size_of::<HPyDef>(), align_of::<HPyDef>());
    l.offset("HPyDef", "kind", offset_of!(HPyDef, kind));
    let u = offset_of!(HPyDef, u);
    l.offset("HPyDef", "slot", u + offset_of!(HPyDefUnion, slot));
    l.offset("HPyDef", "meth", u + offset_of!(HPyDefUnion, meth));
    l.offset("HPyDef", "member", u + offset_of!(HPyDefUnion, member));
    l.offset("HPyDef", "getset", u + offset_of!(HPyDefUnion, getset));

    layout!(l, HPyCapsule_Destructor { cpy_trampoline, impl_ });
    layout!(l, HPyCallFunction { cpy_trampoline, impl_ });
    layout!(l, HPyType_Spec {
        name,
        basicsize,
        itemsize,
        flags,
        builtin_shape,
        legacy_slots,
        defines,
        doc,
    });
    layout!(l, HPyType_SpecParam { kind, object });
    layout!(l, HPyModuleDef { doc, size, legacy_methods, defines, globals });
    layout!(l, HPy_buffer {
        buf,
        obj,
        len,
        itemsize,
        readonly,
        ndim,
        format,
        shape,
        strides,
        suboffsets,
        internal,
    });

    // C enums are `int`-sized in the ABI; Rust models them as c_int newtypes.
    l.size("HPyFunc_Signature", size_of::<HPyFunc_Signature>(), align_of::<HPyFunc_Signature>());
    l.size("HPySlot_Slot", size_of::<HPySlot_Slot>(), align_of::<HPySlot_Slot>());
    l.size("HPyDef_Kind", size_of::<HPyDef_Kind>(), align_of::<HPyDef_Kind>());
    l.size("HPyMember_FieldType", size_of::<HPyMember_FieldType>(), align_of::<HPyMember_FieldType>());
    l.size("HPyType_BuiltinShape", size_of::<HPyType_BuiltinShape>(), align_of::<HPyType_BuiltinShape>());
    l.size("HPyType_SpecParam_Kind", size_of::<HPyType_SpecParam_Kind>(), align_of::<HPyType_SpecParam_Kind>());

    hpyfunc_signatures!(arg_blocks, l);
    l
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("LICHEN_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/3.11/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// The include directory of the installed `hpy` package.
fn hpy_include_dir() -> PathBuf {
    let py = python();
    let out = Command::new(&py)
        .args(["-c", "import hpy.devel; print(hpy.devel.HPyDevel().include_dir)"])
        .output()
        .unwrap_or_else(|e| panic!("layout test: cannot run {}: {e}", py.display()));
    if !out.status.success() {
        panic!(
            "layout test: the hpy package (hpy==0.9.0) is not importable by {}; install it \
             there (e.g. `make venvs`) or point LICHEN_PYTHON at a Python that has it.\n{}",
            py.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        dir.join("hpy.h").exists(),
        "layout test: {} has no hpy.h (asked {})",
        dir.display(),
        py.display()
    );
    dir
}

fn c_program(entries: &[Entry]) -> String {
    let mut src = String::from(
        "#define HPY_ABI_UNIVERSAL\n#include <stddef.h>\n#include <stdio.h>\n#include \"hpy.h\"\n\
         #include \"hpy/universal/hpyfunc_trampolines.h\"\n\nint main(void) {\n",
    );
    for e in entries {
        src.push_str(&format!("    printf(\"%s %zu\\n\", \"{}\", (size_t){});\n", e.key, e.c_expr));
    }
    src.push_str("    return 0;\n}\n");
    src
}

/// Compiles and runs the program; returns what it printed, by key.
fn c_layouts(entries: &[Entry]) -> BTreeMap<String, usize> {
    let include = hpy_include_dir();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hpy-layout");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, c_program(entries)).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .arg("-std=gnu11")
        .arg("-I")
        .arg(&include)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("layout test: cannot run the C compiler {cc}: {e}"));
    assert!(status.success(), "layout test: {cc} failed on {}", src.display());
    let out = Command::new(&exe).output().expect("run the layout program");
    assert!(out.status.success(), "layout program failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn layouts_match_the_hpy_headers() {
    let rust = rust_layouts();
    let c = c_layouts(&rust.entries);
    let mut mismatches = Vec::new();
    for e in &rust.entries {
        let c_value = c[&e.key];
        if c_value != e.rust {
            mismatches.push(format!("{}: C {} != Rust {}", e.key, c_value, e.rust));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} layout numbers differ:\n{}",
        mismatches.len(),
        rust.entries.len(),
        mismatches.join("\n")
    );
    // Every context member was compared: 3 header fields, the handles and
    // the functions, plus the size and alignment.
    let context = rust.entries.iter().filter(|e| e.key.contains(" HPyContext")).count();
    assert_eq!(context, 2 + 3 + HANDLE_NAMES.len() + FUNCTION_NAMES.len());
    assert_eq!(HANDLE_NAMES.len(), 83);
    assert_eq!(FUNCTION_NAMES.len(), 180);
    // The context ends with its last function pointer: no member is missing
    // at the end.
    let last = FUNCTION_NAMES[FUNCTION_NAMES.len() - 1];
    let last_off = c[&format!("offsetof HPyContext ctx_{last}")];
    assert_eq!(c["sizeof HPyContext"], last_off + size_of::<usize>());
}
