//! The argument blocks that trampolines compiled into an extension pass to
//! `ctx_CallRealFunctionFromTrampoline`, one per `HPyFunc_Signature` that
//! has one (`_HPyFunc_args_NAME` in HPy's headers), generated from
//! [`crate::hpyfunc_signatures!`]. They carry CPython objects, so only a
//! CPython host reads them; an extension's trampolines fill them.

/// One `#[repr(C)]` block: the fields, then `result` unless it is `none`.
macro_rules! block_struct {
    ($name:ident ($($f:ident : $k:tt),*) -> none) => {
        #[repr(C)]
        pub struct $name { $(pub $f: $crate::hpyfunc_cpy_ty!($k)),* }
    };
    ($name:ident ($($f:ident : $k:tt),*) -> $r:tt) => {
        #[repr(C)]
        pub struct $name { $(pub $f: $crate::hpyfunc_cpy_ty!($k),)* pub result: $crate::hpyfunc_cpy_ty!($r) }
    };
}

macro_rules! arg_blocks {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident $params:tt -> $r:tt, $block:tt;)*) => {
        $(crate::hpyfunc_block!(block_struct [] $name $params -> $r, $block);)*
    };
}

crate::hpyfunc_signatures!(arg_blocks);
