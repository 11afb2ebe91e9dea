use lichen_abi::*;
use std::time::Instant;
unsafe extern "C" fn noargs(ctx: *mut HPyContext, _s: HPy) -> HPy { unsafe { ((*ctx).ctx_Dup)(ctx, (*ctx).h_None) } }
fn main() {
    let ctx = lichen_pypy::context::universal();
    unsafe extern "C" fn cb() {}
    let _ = cb;
    // table init without callbacks
    { let _h = lichen_pypy::lock::enter(); lichen_pypy::table::init(83); }
    let n = 20_000_000;
    let imp = noargs as *mut core::ffi::c_void;
    let t = Instant::now();
    for _ in 0..n { unsafe { lichen_pypy::entry::lichen_call_noargs(ctx.cast(), imp, 8 | 4, core::ptr::null_mut()); } }
    println!("lichen_call_noargs: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now();
    for _ in 0..n { let _h = lichen_pypy::lock::enter(); }
    println!("lock enter/leave: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now();
    for _ in 0..n { unsafe { lichen_pypy::entry::lichen_slots_in_use(); } }
    println!("slots_in_use entry: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    atomics();
}
#[allow(dead_code)]
fn atomics() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    static B: AtomicBool = AtomicBool::new(false);
    static U: AtomicUsize = AtomicUsize::new(0);
    let n = 20_000_000;
    let t = Instant::now();
    for _ in 0..n { while B.swap(true, Ordering::Acquire) {} B.store(false, Ordering::Release); }
    println!("swap+store: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    let t = Instant::now();
    for _ in 0..n { let _ = U.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed); let _ = U.compare_exchange(1, 0, Ordering::Release, Ordering::Relaxed); }
    println!("cas+cas: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    thread_local! { static C: std::cell::Cell<usize> = const { std::cell::Cell::new(0) }; }
    let t = Instant::now();
    for i in 0..n { C.with(|c| c.set(c.get() + i)); }
    println!("tls rw: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
}
