//! Which proxy stands for which object, so that an object crossing twice
//! gives the same proxy (`is` holds on both sides).
//!
//! - CPython object → its RustPython proxy (a `CObject`): a weak reference
//!   to the proxy, keyed by the CPython object's address, which the proxy
//!   keeps alive (so the address is not reused while the entry exists).
//!   The proxy's drop removes the entry if it still names a dead proxy.
//! - RustPython object → its CPython proxy (an `RObject`): the proxy's
//!   address, keyed by the RustPython object's address (kept alive by the
//!   proxy); removed when the proxy is deallocated. Read and written with
//!   the GIL held, so a proxy found here is not being deallocated.
//!
//! The mutexes only guard the maps themselves; no Python code runs while
//! one is held.

use rustpython_vm::builtins::{PyTypeRef, PyWeak};
use rustpython_vm::{PyObjectRef, PyRef};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

type Map<K, V> = LazyLock<Mutex<HashMap<K, V>>>;

static C_TO_RP: Map<usize, PyRef<PyWeak>> = LazyLock::new(Default::default);
static RP_TO_C: Map<usize, usize> = LazyLock::new(Default::default);
/// Proxy classes on RustPython's side, by CPython type (kept for the process).
static RP_CLASSES: Map<usize, PyTypeRef> = LazyLock::new(Default::default);
/// Proxy classes on CPython's side, by RustPython type (both kept).
static C_CLASSES: Map<usize, (PyTypeRef, usize)> = LazyLock::new(Default::default);
/// The CPython type each RustPython proxy class stands for (by class address).
static RP_CLASS_TARGETS: Map<usize, usize> = LazyLock::new(Default::default);
/// The RustPython type each CPython proxy class stands for.
static C_CLASS_TARGETS: Map<usize, PyTypeRef> = LazyLock::new(Default::default);
/// Exception classes mirrored on the other side, both ways (kept).
static EXC_RP_TO_C: Map<usize, usize> = LazyLock::new(Default::default);
static EXC_C_TO_RP: Map<usize, PyTypeRef> = LazyLock::new(Default::default);

fn lock<K, V>(m: &'static Map<K, V>) -> MutexGuard<'static, HashMap<K, V>> {
    // A panic while holding one of these locks leaves a map that is still
    // consistent (single inserts and removes): keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The live RustPython proxy of the CPython object at `addr`.
pub fn cobject(addr: usize) -> Option<PyObjectRef> {
    lock(&C_TO_RP).get(&addr).and_then(|w| w.upgrade())
}

pub fn remember_cobject(addr: usize, weak: PyRef<PyWeak>) {
    lock(&C_TO_RP).insert(addr, weak);
}

/// Called as a proxy of the CPython object at `addr` is dropped: removes
/// the entry unless a newer proxy replaced it.
pub fn forget_cobject(addr: usize) {
    let mut map = lock(&C_TO_RP);
    if map.get(&addr).is_some_and(|w| w.upgrade().is_none()) {
        map.remove(&addr);
    }
}

/// The CPython proxy of the RustPython object at `addr` (borrowed).
pub fn robject(addr: usize) -> Option<usize> {
    lock(&RP_TO_C).get(&addr).copied()
}

pub fn remember_robject(addr: usize, proxy: usize) {
    lock(&RP_TO_C).insert(addr, proxy);
}

/// Called as the CPython proxy `proxy` of the object at `addr` is freed.
pub fn forget_robject(addr: usize, proxy: crate::ffi::Obj) {
    let mut map = lock(&RP_TO_C);
    if map.get(&addr) == Some(&(proxy as usize)) {
        map.remove(&addr);
    }
}

pub fn rp_class(c_type: usize) -> Option<PyTypeRef> {
    lock(&RP_CLASSES).get(&c_type).cloned()
}

pub fn remember_rp_class(c_type: usize, class: PyTypeRef) {
    let addr = &*class as *const _ as usize;
    lock(&RP_CLASSES).insert(c_type, class);
    lock(&RP_CLASS_TARGETS).insert(addr, c_type);
}

/// The CPython type the RustPython proxy class at `addr` stands for.
pub fn rp_class_target(addr: usize) -> Option<usize> {
    lock(&RP_CLASS_TARGETS).get(&addr).copied()
}

/// The RustPython type the CPython proxy class at `addr` stands for.
pub fn c_class_target(addr: usize) -> Option<PyTypeRef> {
    lock(&C_CLASS_TARGETS).get(&addr).cloned()
}

pub fn c_class(rp_type: usize) -> Option<usize> {
    lock(&C_CLASSES).get(&rp_type).map(|(_, c)| *c)
}

pub fn remember_c_class(rp_type: PyTypeRef, c_class: usize) {
    let addr = &*rp_type as *const _ as usize;
    lock(&C_CLASS_TARGETS).insert(c_class, rp_type.clone());
    lock(&C_CLASSES).insert(addr, (rp_type, c_class));
}

/// The CPython exception class standing for the RustPython one at `addr`.
pub fn c_exception(rp_class: usize) -> Option<usize> {
    lock(&EXC_RP_TO_C).get(&rp_class).copied()
}

/// The RustPython exception class standing for the CPython one at `addr`.
pub fn rp_exception(c_class: usize) -> Option<PyTypeRef> {
    lock(&EXC_C_TO_RP).get(&c_class).cloned()
}

/// Records a pair of exception classes that stand for each other (both
/// references are kept for the rest of the process).
pub fn remember_exception_pair(rp_class: PyTypeRef, c_class: usize) {
    let rp_addr = &*rp_class as *const _ as usize;
    lock(&EXC_RP_TO_C).insert(rp_addr, c_class);
    lock(&EXC_C_TO_RP).insert(c_class, rp_class);
}
