//! What a call costs on the Rust side of the PyPy host, without PyPy: the
//! `lichen_call_noargs` entry around an implementation that returns None
//! (the extension lock, receiving the handle, the call, giving up the
//! result), and the lock alone. `bench/pypy.py` measures the whole call
//! from PyPy; this separates Lichen's share from cffi's and PyPy's.
//!
//!     cargo run --release -p lichen-pypy --example entry_cost

use lichen_abi::{HPy, HPyContext};
use std::time::Instant;

const N: u32 = 20_000_000;

unsafe extern "C" fn return_none(ctx: *mut HPyContext, _self: HPy) -> HPy {
    // SAFETY: `ctx` is the universal context the entry passes.
    unsafe { ((*ctx).ctx_Dup)(ctx, (*ctx).h_None) }
}

fn per_call(what: &str, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..N {
        f();
    }
    println!("{what:<22} {:6.1} ns", start.elapsed().as_nanos() as f64 / f64::from(N));
}

fn main() {
    let ctx = {
        let held = lichen_pypy::lock::enter();
        lichen_pypy::table::init(83);
        lichen_pypy::context::CONTEXTS.universal(held.token())
    };
    let implementation = return_none as *mut core::ffi::c_void;
    // The receiver: table slot 1, lent (tag ..100): the entry neither
    // takes nor closes it, as for a module function's module.
    let receiver = 8 | 4;
    per_call("lichen_call_noargs", || {
        // SAFETY: `implementation` has the NOARGS signature and `ctx` is
        // Lichen's universal context.
        unsafe { lichen_pypy::entry::lichen_call::noargs(ctx.cast(), implementation, receiver, 0, 0) };
    });
    per_call("extension lock", || drop(lichen_pypy::lock::enter()));
}
