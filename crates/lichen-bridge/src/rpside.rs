//! CPython objects seen from RustPython: `CObject`, the native base class
//! of their proxies, holding a strong CPython reference.
//!
//! Each CPython type gets its own proxy class (a subclass of `CObject`
//! made by `rpside.py`'s `make_class`, kept for the process), carrying
//! only the special methods the CPython type has, so `callable()`,
//! `iter()`, `len()` and the operators behave as the target's. Attribute
//! access, `repr`, hashing, comparison and calls are native slots of
//! `CObject`; the other special methods are small Python methods calling
//! [`invoke`]. Comparisons ask the target's own slot only, so that each
//! side's reflected method is tried once.
//!
//! Dropping a proxy does not wait for the GIL: its reference is queued
//! and released at the next entry into CPython (see [`release_pending`]).

use crate::convert::{self, check, to_c, to_rp, to_rp_result};
use crate::ffi::{self, Obj};
use crate::runtime::{rt, Gil, Owned};
use crate::{cside, identity};
use rustpython_vm::builtins::{PyStr, PyStrRef, PyTupleRef, PyType, PyTypeRef};
use rustpython_vm::function::{Either, FuncArgs, PySetterValue};
use rustpython_vm::types::{Comparable, GetAttr, Hashable, PyComparisonOp, PyTypeFlags, Representable, SetAttr};
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_int, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A proxy's target: one strong CPython reference.
#[rustpython_vm::pyclass(module = "_lichen_bridge", name = "CObject")]
#[derive(PyPayload)]
pub struct CObject {
    ptr: Obj,
    /// Whether the proxy's class was made in RustPython from a proxy class
    /// (see [`new_instance`]): its own layers and dict come first.
    own_layers: bool,
}

// SAFETY: the pointer is only dereferenced by CPython with the GIL held;
// the reference it stands for may be released from any thread.
unsafe impl Send for CObject {}
// SAFETY: the only field is the pointer, never changed after the proxy is
// made, and shared references only pass it to CPython with the GIL held,
// which serialises the threads' use of the object.
unsafe impl Sync for CObject {}

impl std::fmt::Debug for CObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CObject({:p})", self.ptr)
    }
}

/// CPython references of dropped proxies, released at the next entry.
static PENDING: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// Whether PENDING may hold something (saves its lock on most entries).
static HAS_PENDING: AtomicBool = AtomicBool::new(false);

impl Drop for CObject {
    fn drop(&mut self) {
        identity::forget_cobject(self.ptr as usize);
        PENDING.lock().unwrap_or_else(|e| e.into_inner()).push(self.ptr as usize);
        HAS_PENDING.store(true, Ordering::Release);
    }
}

/// Releases the references of dropped proxies. Called with the GIL held.
pub fn release_pending() {
    if !HAS_PENDING.swap(false, Ordering::Acquire) {
        return;
    }
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
    let api = &rt().api;
    for o in pending {
        // SAFETY: each was a strong reference owned by a dropped proxy.
        unsafe { (api.Py_DecRef)(o as Obj) };
    }
}

impl CObject {
    /// The target (borrowed: the proxy holds it).
    pub fn target(&self) -> Obj {
        self.ptr
    }

    /// A new reference to the target. GIL held.
    pub fn new_ref(&self) -> Obj {
        // SAFETY: the proxy keeps the target alive; GIL held by the caller.
        unsafe { (rt().api.Py_IncRef)(self.ptr) };
        self.ptr
    }
}

#[rustpython_vm::pyclass(with(GetAttr, SetAttr, Representable, Hashable, Comparable), flags(BASETYPE, HAS_WEAKREF))]
impl CObject {}

/// Import-system bookkeeping RustPython's importlib sets on a module it
/// loaded: kept off the CPython module (which keeps its own).
const IMPORT_NAMES: &[&str] = &["__spec__", "__loader__", "__package__", "__file__", "__cached__", "__path__"];

impl GetAttr for CObject {
    fn getattro(zelf: &Py<Self>, name: &Py<PyStr>, vm: &VirtualMachine) -> PyResult {
        if name.to_str() == Some("__class__") {
            return Ok(zelf.class().to_owned().into());
        }
        if zelf.own_layers && defined_in_rustpython(zelf, name, vm)? {
            return zelf.as_object().generic_getattr(name, vm);
        }
        let _gil = Gil::enter(vm);
        let n = Owned(to_c(vm, name.as_object())?);
        // SAFETY: GIL held, both objects live.
        let r = check(vm, unsafe { (rt().api.PyObject_GetAttr)(zelf.ptr, n.0) })?;
        to_rp_result(vm, r.0)
    }
}

impl SetAttr for CObject {
    fn setattro(zelf: &Py<Self>, name: &Py<PyStr>, value: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
        if zelf.own_layers && set_in_rustpython(zelf, name, vm)? {
            return zelf.as_object().generic_setattr(name, value, vm);
        }
        let rt = rt();
        let _gil = Gil::enter(vm);
        // SAFETY: GIL held; an instance check.
        if name.to_str().is_some_and(|n| IMPORT_NAMES.contains(&n)) && unsafe { (rt.api.PyObject_IsInstance)(zelf.ptr, rt.module_type) } == 1 {
            return Ok(());
        }
        let n = Owned(to_c(vm, name.as_object())?);
        let v = match value {
            PySetterValue::Assign(v) => Some(Owned(to_c(vm, &v)?)),
            PySetterValue::Delete => None,
        };
        let v_ptr = v.as_ref().map_or(std::ptr::null_mut(), |v| v.0);
        // SAFETY: GIL held; NULL deletes.
        if unsafe { (rt.api.PyObject_SetAttr)(zelf.ptr, n.0, v_ptr) } != 0 {
            return Err(convert::fetched(vm));
        }
        Ok(())
    }
}

/// The classes of `cls`'s MRO made in RustPython (the subclass, its
/// mixins): heap types other than proxy classes and the bridge's buffer
/// base. A mixin's name wins over the C type's even where the C type comes
/// first in the MRO (the C type's names are not looked up first).
fn own_layers(cls: &Py<PyType>, vm: &VirtualMachine) -> Vec<PyTypeRef> {
    let buffer_base = crate::buffer::base(vm);
    let mro = cls.mro.read();
    mro.iter()
        .filter(|c| c.slots.flags.has_feature(PyTypeFlags::HEAPTYPE) && !c.is(&buffer_base) && !is_proxy_class(c))
        .cloned()
        .collect()
}

/// Whether `name` is `zelf`'s own: in its dict or defined by a class of
/// its own layers (a method or attribute of the RustPython subclass).
fn defined_in_rustpython(zelf: &Py<CObject>, name: &Py<PyStr>, vm: &VirtualMachine) -> PyResult<bool> {
    if let Some(dict) = zelf.as_object().dict() {
        if dict.get_item_opt(name, vm)?.is_some() {
            return Ok(true);
        }
    }
    Ok(layers_define(zelf, name, vm))
}

/// Whether a class of `zelf`'s own layers defines `name`.
fn layers_define(zelf: &Py<CObject>, name: &Py<PyStr>, vm: &VirtualMachine) -> bool {
    // A name no class defines is not interned (class attributes are).
    vm.ctx.interned_str(name).is_some_and(|n| own_layers(zelf.class(), vm).iter().any(|c| c.get_direct_attr(n).is_some()))
}

/// Whether setting `name` on `zelf` stays on RustPython's side: a name its
/// own layers define, or any name but the CPython type's data descriptors
/// (a C member, a property) when the instance has a dict, as a Python
/// subclass of a C type keeps its attributes.
fn set_in_rustpython(zelf: &Py<CObject>, name: &Py<PyStr>, vm: &VirtualMachine) -> PyResult<bool> {
    if layers_define(zelf, name, vm) {
        return Ok(true);
    }
    if zelf.as_object().dict().is_none() {
        return Ok(false);
    }
    let api = &rt().api;
    let _gil = Gil::enter(vm);
    let n = Owned(to_c(vm, name.as_object())?);
    // SAFETY: GIL held; the target's type and `n` are live; a failed
    // lookup (no such attribute on the type) is cleared.
    let Some(descr) = Owned::new(unsafe { (api.PyObject_GetAttr)(ffi::type_of(zelf.ptr), n.0) }) else {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
        return Ok(true);
    };
    // SAFETY: the live descriptor's type.
    let set = unsafe { (api.PyType_GetSlot)(ffi::type_of(descr.0), ffi::PY_TP_DESCR_SET) };
    Ok(set.is_null())
}

impl Representable for CObject {
    fn repr(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyStrRef> {
        let _gil = Gil::enter(vm);
        // SAFETY: the GIL is held (`_gil`), and `zelf.ptr` is the proxy's
        // target, alive while the proxy holds its reference.
        let r = check(vm, unsafe { (rt().api.PyObject_Repr)(zelf.ptr) })?;
        to_rp(vm, r.0)?.try_into_value(vm)
    }
}

impl Hashable for CObject {
    fn hash(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<rustpython_vm::common::hash::PyHash> {
        let _gil = Gil::enter(vm);
        // SAFETY: the GIL is held (`_gil`), and `zelf.ptr` is the proxy's
        // target, alive while the proxy holds its reference.
        let h = unsafe { (rt().api.PyObject_Hash)(zelf.ptr) };
        if h == -1 {
            return Err(convert::fetched(vm));
        }
        Ok(h as i64)
    }
}

impl Comparable for CObject {
    fn slot_richcompare(
        zelf: &PyObject,
        other: &PyObject,
        op: PyComparisonOp,
        vm: &VirtualMachine,
    ) -> PyResult<Either<PyObjectRef, rustpython_vm::function::PyComparisonValue>> {
        let zelf = zelf.downcast_ref::<CObject>().ok_or_else(|| vm.new_type_error("not a CPython proxy"))?;
        compare(zelf, other, op, vm).map(Either::A)
    }

    fn cmp(zelf: &Py<Self>, other: &PyObject, op: PyComparisonOp, vm: &VirtualMachine) -> PyResult<rustpython_vm::function::PyComparisonValue> {
        let r = compare(zelf, other, op, vm)?;
        Ok(match r.clone().try_into_value::<bool>(vm) {
            Ok(b) if !r.is(&vm.ctx.not_implemented) => rustpython_vm::function::PyComparisonValue::Implemented(b),
            _ => rustpython_vm::function::PyComparisonValue::NotImplemented,
        })
    }
}

/// The target type's own `tp_richcompare` with the converted `other`.
fn compare(zelf: &CObject, other: &PyObject, op: PyComparisonOp, vm: &VirtualMachine) -> PyResult {
    let api = &rt().api;
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held; the slot of the target's type, if any.
    let slot = unsafe { (api.PyType_GetSlot)(ffi::type_of(zelf.ptr), ffi::PY_TP_RICHCOMPARE) };
    if slot.is_null() {
        return Ok(vm.ctx.not_implemented());
    }
    // SAFETY: tp_richcompare's signature.
    let f: unsafe extern "C" fn(Obj, Obj, c_int) -> Obj = unsafe { std::mem::transmute(slot) };
    let o = Owned(to_c(vm, other)?);
    // SAFETY: GIL held, live objects, op in 0..=5.
    let r = check(vm, unsafe { f(zelf.ptr, o.0, op_number(op)) })?;
    to_rp_result(vm, r.0)
}

fn op_number(op: PyComparisonOp) -> c_int {
    match op {
        PyComparisonOp::Lt => 0,
        PyComparisonOp::Le => 1,
        PyComparisonOp::Eq => 2,
        PyComparisonOp::Ne => 3,
        PyComparisonOp::Gt => 4,
        _ => 5,
    }
}

/// `CObject`'s call slot, set on the proxy classes of callable types.
fn call_slot(zelf: &PyObject, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let zelf = zelf.downcast_ref::<CObject>().ok_or_else(|| vm.new_type_error("not a CPython proxy"))?;
    let _gil = Gil::enter(vm);
    let kwargs: Vec<(&str, &PyObjectRef)> = args.kwargs.iter().map(|(k, v)| (k.as_str(), v)).collect();
    vectorcall(vm, zelf.ptr, None, &args.args, &kwargs)
}

/// Calls `callable` with `first` (a CPython object, if any) and the
/// converted positional and keyword arguments, then writes what the call
/// changed in the copies of mutable arguments back to them (see
/// [`crate::writeback`]), whether it returned or raised. GIL held.
fn vectorcall(vm: &VirtualMachine, callable: Obj, first: Option<Obj>, args: &[PyObjectRef], kwargs: &[(&str, &PyObjectRef)]) -> PyResult {
    // Outlives the arguments (dropped in `call_converted`): what the
    // write-back held goes after them.
    let mut conv = convert::CallArgs::new(vm);
    let r = call_converted(vm, &mut conv, callable, first, args, kwargs)?;
    conv.result(r.0)
}

/// [`vectorcall`]'s call, its result not converted.
fn call_converted(
    vm: &VirtualMachine,
    conv: &mut convert::CallArgs<'_>,
    callable: Obj,
    first: Option<Obj>,
    args: &[PyObjectRef],
    kwargs: &[(&str, &PyObjectRef)],
) -> PyResult<Owned> {
    let api = &rt().api;
    let mut owned = Args::default();
    if let Some(first) = first {
        // SAFETY: GIL held; `first` is live.
        unsafe { (api.Py_IncRef)(first) };
        owned.push(first);
    }
    let nargs = owned.len + args.len();
    for a in args {
        owned.push(conv.convert(a)?);
    }
    let mut names = Vec::with_capacity(kwargs.len());
    for (name, value) in kwargs {
        names.push(Owned(to_c(vm, vm.ctx.new_str(*name).as_object())?));
        owned.push(conv.convert(value)?);
    }
    let kwnames = if names.is_empty() {
        None
    } else {
        // SAFETY: GIL held.
        Some(Owned(unsafe { convert::build_tuple(vm, names) }?))
    };
    let kw = kwnames.as_ref().map_or(std::ptr::null_mut(), |k| k.0);
    // SAFETY: GIL held; `owned` holds live references for the call.
    let r = check(vm, unsafe { (api.PyObject_Vectorcall)(callable, owned.as_ptr(), nargs, kw) });
    // The call's own exception wins over one of the write-back.
    let written = conv.write_back();
    let r = r?;
    written?;
    Ok(r)
}

/// Call arguments (new references, released on drop; the GIL is held
/// wherever they live): a few on the stack, more on the heap.
struct Args {
    few: [Obj; 6],
    len: usize,
    more: Vec<Obj>,
}

impl Default for Args {
    fn default() -> Args {
        Args { few: [std::ptr::null_mut(); 6], len: 0, more: Vec::new() }
    }
}

impl Args {
    fn push(&mut self, o: Obj) {
        if self.len < self.few.len() && self.more.is_empty() {
            self.few[self.len] = o;
        } else {
            if self.more.is_empty() {
                self.more.extend_from_slice(&self.few[..self.len]);
            }
            self.more.push(o);
        }
        self.len += 1;
    }

    fn as_ptr(&self) -> *const Obj {
        if self.more.is_empty() { self.few.as_ptr() } else { self.more.as_ptr() }
    }
}

impl Drop for Args {
    fn drop(&mut self) {
        let api = &rt().api;
        let all = if self.more.is_empty() { &self.few[..self.len] } else { &self.more[..] };
        for &o in all {
            // SAFETY: each is a reference we own; GIL held.
            unsafe { (api.Py_DecRef)(o) };
        }
    }
}

/// `_lichen_bridge.invoke(proxy, name, args)`: the special method `name`
/// of the target's type called with the target and `args` (the special
/// methods of proxy classes; looked up on the type, as CPython does, so
/// that a class's own `__str__` is not taken for its metaclass's).
pub fn invoke(zelf: PyRef<CObject>, name: PyStrRef, args: PyTupleRef, vm: &VirtualMachine) -> PyResult {
    let _gil = Gil::enter(vm);
    let n = Owned(to_c(vm, name.as_object())?);
    // SAFETY: GIL held; the target's type is live.
    let method = check(vm, unsafe { (rt().api.PyObject_GetAttr)(ffi::type_of(zelf.ptr), n.0) })?;
    vectorcall(vm, method.0, Some(zelf.ptr), args.as_slice(), &[])
}

/// The RustPython proxy of `o` (borrowed): the existing one, or a new one
/// of its type's proxy class. GIL held.
pub fn cobject_for(vm: &VirtualMachine, o: Obj) -> PyResult {
    if let Some(p) = identity::cobject(o as usize) {
        return Ok(p);
    }
    // SAFETY: `o` is live.
    let cls = rp_proxy_class(vm, unsafe { ffi::type_of(o) })?;
    // SAFETY: the proxy takes its own reference.
    unsafe { (rt().api.Py_IncRef)(o) };
    let proxy = CObject { ptr: o, own_layers: false }.into_ref_with_type(vm, cls)?;
    identity::remember_cobject(o as usize, proxy.as_object().downgrade(None, vm)?);
    Ok(proxy.into())
}

/// The special methods forwarded when the target's type has them.
pub const SPECIALS: &[&str] = &[
    "__len__", "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__next__",
    "__reversed__", "__length_hint__", "__bool__", "__int__", "__float__", "__index__", "__complex__",
    "__abs__", "__neg__", "__pos__", "__invert__", "__round__", "__trunc__", "__floor__", "__ceil__",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__divmod__", "__rdivmod__", "__pow__",
    "__rpow__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "__and__", "__rand__",
    "__or__", "__ror__", "__xor__", "__rxor__", "__matmul__", "__rmatmul__", "__enter__", "__exit__",
    "__str__", "__bytes__", "__format__", "__dir__", "__fspath__", "__get__",
];

/// Attribute `name` of CPython's `o` as a RustPython str, or `default`.
fn c_text(vm: &VirtualMachine, o: Obj, name: &std::ffi::CStr, default: &str) -> PyObjectRef {
    let api = &rt().api;
    // SAFETY: GIL held; a failed lookup is cleared.
    let r = Owned::new(unsafe { (api.PyObject_GetAttrString)(o, name.as_ptr()) });
    // Checked before converting: anything else could need a proxy class,
    // which asks for these very attributes.
    // SAFETY: a live object's type.
    let is_str = |r: &Owned| unsafe { (api.PyType_GetFlags)(ffi::type_of(r.0)) } & ffi::PY_TPFLAGS_UNICODE_SUBCLASS != 0;
    match r.filter(is_str).map(|r| to_rp(vm, r.0)) {
        Some(Ok(v)) => v,
        _ => {
            // SAFETY: the GIL is held (as for the lookup above); clearing
            // needs nothing else.
            unsafe { (api.PyErr_Clear)() };
            vm.ctx.new_str(default).into()
        }
    }
}

/// Whether CPython's type `tp` is one of its builtins (`__module__`).
fn c_is_builtin(vm: &VirtualMachine, tp: Obj) -> bool {
    c_text(vm, tp, c"__module__", "").downcast::<PyStr>().is_ok_and(|m| m.to_str() == Some("builtins"))
}

/// What CPython's type `tp` (borrowed, not an exception class) crosses
/// into RustPython as: the RustPython type a CPython proxy class stands
/// for, RustPython's builtin of the same name, or `tp`'s proxy class.
pub fn type_to_rp(vm: &VirtualMachine, tp: Obj) -> PyResult {
    if let Some(t) = identity::C_PROXY_CLASSES.rp_of(tp as usize) {
        return Ok(t.into());
    }
    if c_is_builtin(vm, tp) {
        let name = c_text(vm, tp, c"__name__", "");
        if let Some(t) = vm.builtins.get_attr(&*name.str(vm)?, vm).ok().and_then(|t| t.downcast::<PyType>().ok()) {
            return Ok(t.into());
        }
    }
    rp_proxy_class(vm, tp).map(Into::into)
}

/// What RustPython's type `cls` (not an exception class) crosses into
/// CPython as (a new reference): the CPython type a RustPython proxy class
/// stands for, CPython's builtin of the same name, or `cls`'s proxy class.
pub fn type_to_c(vm: &VirtualMachine, cls: &Py<PyType>) -> PyResult<Obj> {
    let api = &rt().api;
    if let Some(tp) = identity::RP_PROXY_CLASSES.c_of(cls as *const Py<PyType> as usize) {
        // SAFETY: kept for the process; GIL held.
        unsafe { (api.Py_IncRef)(tp as Obj) };
        return Ok(tp as Obj);
    }
    if rp_is_builtin(vm, cls) {
        let name = std::ffi::CString::new(cls.name().to_string()).unwrap_or_default();
        // SAFETY: GIL held; failures cleared.
        unsafe {
            if let Some(builtins) = Owned::new((api.PyImport_ImportModule)(c"builtins".as_ptr())) {
                let t = (api.PyObject_GetAttrString)(builtins.0, name.as_ptr());
                if !t.is_null() && (api.PyType_GetFlags)(ffi::type_of(t)) & ffi::PY_TPFLAGS_TYPE_SUBCLASS != 0 {
                    return Ok(t);
                }
                if !t.is_null() {
                    (api.Py_DecRef)(t);
                }
            }
            (api.PyErr_Clear)();
        }
    }
    let c = c_proxy_class(vm, cls)?;
    // SAFETY: kept for the process; one more reference for the caller.
    unsafe { (api.Py_IncRef)(c) };
    Ok(c)
}

fn rp_is_builtin(vm: &VirtualMachine, cls: &Py<PyType>) -> bool {
    cls.as_object().get_attr("__module__", vm).ok().and_then(|m| m.downcast::<PyStr>().ok()).is_some_and(|m| m.to_str() == Some("builtins"))
}

/// The proxy class for instances of the CPython type `tp`, which is also
/// what `tp` crosses as. GIL held.
fn rp_proxy_class(vm: &VirtualMachine, tp: Obj) -> PyResult<PyTypeRef> {
    if let Some(cls) = identity::RP_PROXY_CLASSES.rp_of(tp as usize) {
        return Ok(cls);
    }
    let rt = rt();
    let api = &rt.api;
    let specials: Vec<PyObjectRef> = SPECIALS
        .iter()
        .filter(|s| {
            let c = CString::new(**s).unwrap_or_default();
            // SAFETY: GIL held; HasAttrString clears its own errors.
            unsafe { (api.PyObject_HasAttrString)(tp, c.as_ptr()) == 1 }
        })
        .map(|s| vm.ctx.new_str(*s).into())
        .collect();
    // SAFETY: slots of a live type.
    let (hash, call) = unsafe { ((api.PyType_GetSlot)(tp, ffi::PY_TP_HASH), (api.PyType_GetSlot)(tp, ffi::PY_TP_CALL)) };
    let hashable = !hash.is_null() && hash != rt.st.hash_not_implemented;
    // Only a str: some types' `__doc__` is a descriptor for their instances.
    let doc = c_text(vm, tp, c"__doc__", "");
    let bases = rp_proxy_bases(vm, tp)?;
    let buffer_base = if crate::buffer::exports_buffers(tp) { crate::buffer::base(vm).into() } else { vm.ctx.none() };
    let helper = crate::module::rp_helper(vm)?;
    let args: Vec<PyObjectRef> = vec![
        c_text(vm, tp, c"__name__", "object"),
        c_text(vm, tp, c"__module__", "builtins"),
        c_text(vm, tp, c"__qualname__", "object"),
        doc,
        vm.ctx.new_tuple(bases).into(),
        vm.ctx.new_tuple(specials).into(),
        vm.ctx.new_bool(hashable).into(),
        buffer_base,
    ];
    let cls = vm.call_method(&helper, "make_class", args)?;
    let cls: PyTypeRef = cls.downcast().map_err(|_| vm.new_system_error("make_class returned no class"))?;
    if !call.is_null() {
        cls.slots.call.store(Some(call_slot));
    }
    // SAFETY: the class keeps the type for the rest of the process.
    unsafe { (api.Py_IncRef)(tp) };
    identity::RP_PROXY_CLASSES.remember(tp as usize, cls.clone());
    Ok(cls)
}

/// The proxy classes of `tp`'s bases that are neither builtins nor
/// exception classes (builtins' behaviour comes through forwarding).
fn rp_proxy_bases(vm: &VirtualMachine, tp: Obj) -> PyResult<Vec<PyObjectRef>> {
    let api = &rt().api;
    // SAFETY: GIL held; a type's __bases__ is a tuple.
    let Some(bases) = Owned::new(unsafe { (api.PyObject_GetAttrString)(tp, c"__bases__".as_ptr()) }) else {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    // SAFETY: a tuple of types, items borrowed.
    for i in 0..unsafe { (api.PyTuple_Size)(bases.0) } {
        let b = unsafe { (api.PyTuple_GetItem)(bases.0, i) };
        let exception = unsafe { (api.PyType_GetFlags)(b) } & ffi::PY_TPFLAGS_BASE_EXC_SUBCLASS != 0;
        if !exception && !c_is_builtin(vm, b) {
            out.push(rp_proxy_class(vm, b)?.into());
        }
    }
    Ok(out)
}

/// `_lichen_bridge.call_class(cls, args, kwargs)`: calls the CPython type
/// the proxy class `cls` stands for (its metaclass's `__call__`).
pub fn call_class(cls: PyTypeRef, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
    let tp = class_target(&cls, vm)?;
    let _gil = Gil::enter(vm);
    with_keywords(&kwargs, vm, |kw| vectorcall(vm, tp, None, args.as_slice(), kw))
}

/// `_lichen_bridge.new_instance(cls, args, kwargs)`: for `cls`, a class
/// made in RustPython from a proxy class, an instance of the CPython type
/// it derives from, made by that type's `__new__` with the call's
/// arguments (as CPython makes an instance of a Python subclass of a C
/// type), and seen through a proxy of class `cls`, whose own layers come
/// first (see [`CObject`]'s `getattro`). The caller runs `__init__`.
pub fn new_instance(cls: PyTypeRef, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
    let tp = class_target(&cls, vm)?;
    let api = &rt().api;
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held; `tp` is a type kept for the process.
    let new = check(vm, unsafe { (api.PyObject_GetAttrString)(tp, c"__new__".as_ptr()) })?;
    let mut conv = convert::CallArgs::new(vm);
    let r = with_keywords(&kwargs, vm, |kw| call_converted(vm, &mut conv, new.0, Some(tp), args.as_slice(), kw))?;
    if let Some(p) = identity::cobject(r.0 as usize) {
        return Ok(p);
    }
    // SAFETY: GIL held, both live.
    match unsafe { (api.PyObject_IsInstance)(r.0, tp) } {
        1 => {}
        0 => return conv.result(r.0),
        _ => return Err(convert::fetched(vm)),
    }
    let ptr = r.into_raw();
    // The proxy owns the result's reference (released when it drops, also
    // if it cannot be made).
    let proxy = CObject { ptr, own_layers: true }.into_ref_with_type(vm, cls)?;
    identity::remember_cobject(ptr as usize, proxy.as_object().downgrade(None, vm)?);
    Ok(proxy.into())
}

/// `_lichen_bridge.init(proxy, args, kwargs)`: the target type's
/// `__init__` run on the target (proxy classes' `__init__`, which a
/// RustPython subclass's `super().__init__(...)` reaches).
pub fn init(zelf: PyRef<CObject>, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held; the target's type is live.
    let method = check(vm, unsafe { (rt().api.PyObject_GetAttrString)(ffi::type_of(zelf.ptr), c"__init__".as_ptr()) })?;
    with_keywords(&kwargs, vm, |kw| vectorcall(vm, method.0, Some(zelf.ptr), args.as_slice(), kw))
}

/// Runs `f` with a kwargs dict's items as [`vectorcall`] takes them.
fn with_keywords<R>(
    kwargs: &rustpython_vm::builtins::PyDictRef,
    vm: &VirtualMachine,
    f: impl FnOnce(&[(&str, &PyObjectRef)]) -> PyResult<R>,
) -> PyResult<R> {
    let owned = kwargs.into_iter().map(|(k, v)| Ok((k.str(vm)?.to_string(), v))).collect::<PyResult<Vec<_>>>()?;
    let kw: Vec<(&str, &PyObjectRef)> = owned.iter().map(|(k, v)| (k.as_str(), v)).collect();
    f(&kw)
}

/// TypeError unless the CPython type a class made from proxy classes
/// derives from (the first in its MRO) allows subclasses.
pub fn check_base(cls: &Py<PyType>, vm: &VirtualMachine) -> PyResult<()> {
    let mro = cls.mro.read();
    let Some(tp) = mro.iter().find_map(|c| identity::RP_PROXY_CLASSES.c_of(&**c as *const Py<PyType> as usize)) else {
        return Ok(());
    };
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held; a type kept for the process.
    let flags = unsafe { (rt().api.PyType_GetFlags)(tp as Obj) };
    if flags & ffi::PY_TPFLAGS_BASETYPE as std::ffi::c_ulong == 0 {
        let name = c_text(vm, tp as Obj, c"__name__", "?");
        return Err(vm.new_type_error(format!("type '{}' is not an acceptable base type", name.str(vm)?)));
    }
    Ok(())
}

/// Whether `cls` is the proxy class of a CPython type (not a class made
/// from one in RustPython).
pub fn is_proxy_class(cls: &Py<PyType>) -> bool {
    identity::RP_PROXY_CLASSES.c_of(cls as *const Py<PyType> as usize).is_some()
}

/// `_lichen_bridge.class_getattr(cls, name)`: an attribute of the CPython
/// type the proxy class `cls` stands for.
pub fn class_getattr(cls: PyTypeRef, name: PyStrRef, vm: &VirtualMachine) -> PyResult {
    let tp = class_target(&cls, vm)?;
    let _gil = Gil::enter(vm);
    let n = Owned(to_c(vm, name.as_object())?);
    // SAFETY: the GIL is held (`_gil`); `tp` is a CPython type registered
    // for a proxy class, kept for the rest of the process, and `n` the live
    // str just converted.
    let r = check(vm, unsafe { (rt().api.PyObject_GetAttr)(tp, n.0) })?;
    to_rp_result(vm, r.0)
}

/// The CPython type of a proxy class (walking up from subclasses made in
/// RustPython).
fn class_target(cls: &Py<PyType>, vm: &VirtualMachine) -> PyResult<Obj> {
    for c in cls.mro.read().iter().map(|c| &**c).chain(std::iter::once(cls)) {
        if let Some(tp) = identity::RP_PROXY_CLASSES.c_of(c as *const Py<PyType> as usize) {
            return Ok(tp as Obj);
        }
    }
    Err(vm.new_type_error(format!("{} stands for no CPython type", cls.name())))
}

/// A namedtuple class's `_fields` (a tuple of strs), or None.
fn namedtuple_fields(vm: &VirtualMachine, cls: &Py<PyType>) -> PyObjectRef {
    let fields = cls.as_object().get_attr("_fields", vm).ok().and_then(|f| f.downcast::<rustpython_vm::builtins::PyTuple>().ok());
    match fields {
        Some(f) if cls.fast_issubclass(vm.ctx.types.tuple_type) && f.iter().all(|n| n.downcastable::<PyStr>()) => f.into(),
        _ => vm.ctx.none(),
    }
}

/// The CPython proxy of RustPython's `obj` (a new reference). GIL held.
pub fn robject_for(vm: &VirtualMachine, obj: &PyObject) -> PyResult<Obj> {
    let addr = obj as *const PyObject as usize;
    if let Some(p) = identity::robject(addr) {
        // SAFETY: a live proxy (entries go when proxies are freed, under the GIL).
        unsafe { (rt().api.Py_IncRef)(p as Obj) };
        return Ok(p as Obj);
    }
    // The class standing for a subclass of tuple is a tuple class (its
    // instances cross as tuples, see `ToC::tuple_like`): the proxy such an
    // instance holds as its original is a plain RObject.
    let cls = if obj.class().fast_issubclass(vm.ctx.types.tuple_type) { rt().robject_type } else { c_proxy_class(vm, obj.class())? };
    // SAFETY: GIL held; `cls` is RObject or a subclass of it.
    let proxy = check(vm, unsafe { cside::new_robject(cls, obj.to_owned()) })?;
    identity::remember_robject(addr, proxy.0 as usize);
    Ok(proxy.into_raw())
}

/// The CPython proxy class for instances of RustPython's `cls` (borrowed),
/// which is also what `cls` crosses as.
pub fn c_proxy_class(vm: &VirtualMachine, cls: &Py<PyType>) -> PyResult<Obj> {
    let addr = cls as *const Py<PyType> as usize;
    if let Some(c) = identity::C_PROXY_CLASSES.c_of(addr) {
        return Ok(c as Obj);
    }
    let specials: Vec<PyObjectRef> = SPECIALS
        .iter()
        .filter(|s| cls.as_object().has_attr(&*vm.ctx.new_str(**s), vm).unwrap_or(false))
        .map(|s| vm.ctx.new_str(*s).into())
        .collect();
    let text = |name: &str, default: &str| -> PyObjectRef {
        match cls.as_object().get_attr(&*vm.ctx.new_str(name), vm) {
            Ok(v) if v.downcastable::<PyStr>() => v,
            _ => vm.ctx.new_str(default).into(),
        }
    };
    let mut bases = Vec::new();
    for base in cls.bases.read().iter() {
        let exception = base.fast_issubclass(vm.ctx.exceptions.base_exception_type);
        if !exception && !rp_is_builtin(vm, base) {
            bases.push(Owned(c_proxy_class(vm, base)?));
            // SAFETY: c_proxy_class's result is borrowed; the tuple steals one.
            unsafe { (rt().api.Py_IncRef)(bases.last().map_or(std::ptr::null_mut(), |b| b.0)) };
        }
    }
    // SAFETY: GIL held.
    let bases = Owned(unsafe { convert::build_tuple(vm, bases) }?);
    let hashable = !cls.as_object().get_attr("__hash__", vm).is_ok_and(|h| vm.is_none(&h));
    let is_module = cls.fast_issubclass(vm.ctx.types.module_type);
    let doc = cls.as_object().get_attr("__doc__", vm).ok().filter(|d| d.downcastable::<PyStr>()).unwrap_or_else(|| vm.ctx.none());
    let mut args = convert::to_c_all(vm, &[
        vm.ctx.new_str(cls.name().to_string()).into(),
        text("__module__", "builtins"),
        text("__qualname__", &cls.name()),
        doc,
    ])?;
    args.push(bases);
    let flags: Vec<PyObjectRef> = vec![
        vm.ctx.new_tuple(specials).into(),
        vm.ctx.new_bool(cls.slots.call.load().is_some()).into(),
        vm.ctx.new_bool(hashable).into(),
        vm.ctx.new_bool(is_module).into(),
        vm.ctx.new_bool(cls.slots.as_buffer.is_some()).into(),
        vm.ctx.new_bool(cls.fast_issubclass(vm.ctx.types.tuple_type)).into(),
        namedtuple_fields(vm, cls),
    ];
    args.extend(convert::to_c_all(vm, &flags)?);
    // SAFETY: GIL held.
    let c_args = Owned(unsafe { convert::build_tuple(vm, args) }?);
    // SAFETY: GIL held; a function of the helper namespace, called with a tuple.
    let made = check(vm, unsafe { (rt().api.PyObject_Call)(cside::helper(c"make_class"), c_args.0, std::ptr::null_mut()) })?;
    let made = made.into_raw();
    identity::C_PROXY_CLASSES.remember(made as usize, cls.to_owned());
    Ok(made)
}
