//! `__bases__` assignment for classes with HPy types in their layout.
//!
//! RustPython 0.5 accepts any new bases (CPython checks that the old and
//! the new base share a layout). Were `Sub.__bases__ = (Leaf,)` accepted,
//! methods of `Leaf`, whose struct is larger than `Sub`'s, would run on
//! `Sub` objects and read past their struct. Once an HPy type exists, the
//! `__bases__` descriptor of `type` is replaced by one that makes CPython's
//! check (`compatible_for_assignment`) where HPy types are involved, and
//! leaves other classes to RustPython. HPy types declare their struct in
//! their basicsize (`typeobj::layout_size`), so the solid base of a class
//! (the nearest class on its `__base__` chain that adds storage) is found as
//! RustPython and CPython find it.
//!
//! An accepted assignment can still change which HPy types (with their
//! destroy functions) are on a class's MRO: [`changed`] tells deallocation
//! to follow the MRO as it is rather than the chain recorded at creation.

use rustpython_vm::builtins::{PyType, PyTypeRef};
use rustpython_vm::function::PySetterValue;
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Set (for good) before the first `__bases__` assignment after the guard
/// is installed runs.
static CHANGED: AtomicBool = AtomicBool::new(false);

/// Whether some class's `__bases__` may have been assigned.
pub fn changed() -> bool {
    CHANGED.load(Ordering::Acquire)
}

/// Installs the checking `__bases__` descriptor on `type` (once).
pub fn guard(vm: &VirtualMachine) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| install(vm));
}

fn install(vm: &VirtualMachine) {
    let ty = vm.ctx.types.type_type;
    let name = vm.ctx.intern_str("__bases__");
    let Some(original) = ty.get_direct_attr(name) else { return };
    let getter = |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
        let cls = as_type(vm, &obj)?;
        let bases: Vec<PyObjectRef> = cls.bases.read().iter().map(|b| b.clone().into()).collect();
        Ok(vm.ctx.new_tuple(bases).into())
    };
    let setter = move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
        let cls = as_type(vm, &obj)?;
        if let PySetterValue::Assign(v) = &value {
            check(vm, cls, v)?;
        }
        // Before the MRO changes, so no deallocation after it uses a stale
        // chain; only when the MRO of an HPy type changes, so that classes
        // without any (typing's generic NamedTuple assigns __bases__) leave
        // deallocation on the recorded chains.
        if changes_an_hpy_type(cls) {
            CHANGED.store(true, Ordering::Release);
        }
        match value {
            PySetterValue::Assign(v) => vm.call_method(&original, "__set__", (obj, v)).map(drop),
            PySetterValue::Delete => vm.call_method(&original, "__delete__", (obj,)).map(drop),
        }
    };
    ty.set_attr(name, vm.ctx.new_static_getset("__bases__", ty, getter, setter).into());
}

/// Whether `cls` or a class derived from it is an HPy type: the classes
/// whose MRO an assignment to `cls.__bases__` changes.
fn changes_an_hpy_type(cls: &Py<PyType>) -> bool {
    if crate::typeobj::is_hpy_type(cls) {
        return true;
    }
    let subclasses: Vec<_> = cls.subclasses.read().iter().filter_map(|w| w.upgrade()).collect();
    subclasses.iter().filter_map(|s| s.downcast_ref::<PyType>()).any(changes_an_hpy_type)
}

fn as_type<'a>(vm: &VirtualMachine, obj: &'a PyObjectRef) -> PyResult<&'a Py<PyType>> {
    obj.downcast_ref::<PyType>().ok_or_else(|| vm.new_type_error("descriptor '__bases__' for 'type' objects needs a type"))
}

/// CPython's layout check, where the old or a new solid base is an HPy
/// layout (a subclass of `HPyObject`). A value that is not a sequence of
/// types is left to RustPython's setter to refuse.
fn check(vm: &VirtualMachine, cls: &Py<PyType>, value: &PyObjectRef) -> PyResult<()> {
    let Ok(new) = value.clone().try_into_value::<Vec<PyTypeRef>>(vm) else { return Ok(()) };
    let Some(old) = cls.base.as_deref() else { return Ok(()) };
    let old_solid = solid_base(old);
    let hpy = crate::typeobj::base_class(vm);
    let solids: Vec<&Py<PyType>> = new.iter().map(|b| solid_base(b)).collect();
    if !on_chain(old_solid, hpy) && !solids.iter().any(|s| on_chain(s, hpy)) {
        return Ok(());
    }
    // As CPython's best_base: the new solid base is the one the others
    // are bases of; it must be the old one.
    if solids.iter().any(|s| s.is(old_solid)) && solids.iter().all(|s| on_chain(old_solid, s)) {
        return Ok(());
    }
    let first = new.first().map_or_else(|| "()".to_owned(), |b| b.name().to_string());
    Err(vm.new_type_error(format!("__bases__ assignment: '{first}' object layout differs from '{}'", old.name())))
}

/// The nearest class on the `__base__` chain of `t` (itself included)
/// whose instances are larger than its base's, as CPython's solid_base.
/// RustPython never changes `__base__` (an assignment changes the bases and
/// the MRO only), and the check above keeps every class's solid base.
fn solid_base(t: &Py<PyType>) -> &Py<PyType> {
    let mut t = t;
    while let Some(b) = t.base.as_deref() {
        if b.slots.basicsize != t.slots.basicsize || b.slots.itemsize != t.slots.itemsize {
            return t;
        }
        t = b;
    }
    t
}

/// Whether `base` is on the `__base__` chain of `t` (itself included).
fn on_chain(t: &Py<PyType>, base: &Py<PyType>) -> bool {
    let mut t = Some(t);
    while let Some(c) = t {
        if c.is(base) {
            return true;
        }
        t = c.base.as_deref();
    }
    false
}
