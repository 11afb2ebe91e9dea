//! Types from `HPyType_Spec`.
//!
//! Every HPy type derives from `_lichen.HPyObject`, a native RustPython
//! class whose payload holds the extension's struct: `basicsize` zeroed
//! bytes, 8-byte aligned, that `HPy_AsStruct_*` hands out. What the spec
//! defines becomes attributes of the new heap type: methods become method
//! descriptors, members and getsets become getset descriptors, and slots
//! become the matching special methods (`__repr__`, `__add__`, ...), from
//! which RustPython fills its own type slots (but the sequence repeat and
//! concat slots, which the host sets: see `set_sequence_slots`).
//! `HPy_tp_new` is dispatched by
//! `HPyObject`'s constructor, `HPy_tp_destroy` and `HPyField` release by
//! the payload's `Drop`.

use crate::host::error::take_pending;
use crate::host::{h2o, take_handle};
use crate::module::{finish, finish_status, Ctx, Impl, Method};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, c_void, CStr};
use lichen_abi::*;
use lichen_core::type_spec::{Bases, TypeSpec};
use rustpython_vm::builtins::{PyType, PyTypeRef};
use rustpython_vm::class::{PyClassImpl, StaticType};
use rustpython_vm::object::Traverse;
use rustpython_vm::function::{FuncArgs, PyMethodFlags, PySetterValue};
use rustpython_vm::types::{Constructor, PyTypeFlags, PyTypeSlots};
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What instances of an HPy type need from their type.
#[derive(Debug)]
pub struct TypeInfo {
    /// The size of the extension's struct, the largest along the bases.
    pub basicsize: usize,
    pub shape: HPyType_BuiltinShape,
    pub new: Option<unsafe extern "C" fn() -> *mut c_void>,
    /// The destroy and traverse functions the type's own spec defines.
    pub own: Hooks,
    /// The hooks of the HPy types on the type's MRO when it was made, most
    /// derived first (those with neither left out): what an instance runs
    /// at deallocation until some `__bases__` assignment changes an MRO.
    pub chain: Vec<Hooks>,
    /// The type itself (never freed), whose MRO is followed once a
    /// `__bases__` assignment may have changed it.
    pub class: &'static Py<PyType>,
    /// Where in the struct the object's own `HPyCallFunction` is: the
    /// explicit `__vectorcalloffset__` member, or a slot Lichen adds after
    /// the struct for `HPy_tp_call`; inherited from the bases otherwise.
    pub call_offset: Option<usize>,
    /// `HPy_bf_getbuffer`/`bf_releasebuffer`, own or inherited.
    pub buffer: Option<crate::buffer::BufferSlots>,
    /// The context the type's implementations run under: the one its
    /// extension called `HPyType_FromSpec` through.
    pub ctx: Ctx,
    /// `HPy_sq_repeat`, `sq_inplace_repeat`, `sq_concat` and
    /// `sq_inplace_concat`, own or inherited from an HPy base: what
    /// RustPython's sequence slots of the type call (see
    /// [`set_sequence_slots`]).
    pub seq: SeqSlots,
}

/// The sequence slots that RustPython's operators fall back to, each with
/// the context of the type that defines it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqSlots {
    pub repeat: Option<(Impl, Ctx)>,
    pub inplace_repeat: Option<(Impl, Ctx)>,
    pub concat: Option<(Impl, Ctx)>,
    pub inplace_concat: Option<(Impl, Ctx)>,
}

/// The `HPy_tp_destroy` and `HPy_tp_traverse` of one HPy type's spec.
#[derive(Debug, Clone, Copy)]
pub struct Hooks {
    pub destroy: Option<unsafe extern "C" fn() -> *mut c_void>,
    pub traverse: Option<unsafe extern "C" fn() -> *mut c_void>,
}

impl Hooks {
    fn any(&self) -> bool {
        self.destroy.is_some() || self.traverse.is_some()
    }
}

/// The hooks along the MRO of `ty` (an HPy type, whose own hooks are `own`
/// as it may not be registered yet), most derived first.
fn chain_of(ty: &Py<PyType>, own: Hooks) -> Vec<Hooks> {
    let table = TYPES.read().unwrap_or_else(|p| p.into_inner());
    let key = |t: &Py<PyType>| t as *const Py<PyType> as usize;
    let mro = ty.mro.read();
    // mro[0] is `ty` itself
    let bases = mro.iter().skip(1).filter_map(|t| table.as_ref()?.get(&key(t)).map(|i| i.own));
    core::iter::once(own).chain(bases).filter(Hooks::any).collect()
}

impl TypeInfo {
    /// The hooks an instance runs: those recorded at creation, or, once a
    /// `__bases__` assignment was accepted (see [`crate::bases`]), those of
    /// the MRO as it is now, as CPython follows `tp_base` as it is.
    fn hooks(&self) -> std::borrow::Cow<'_, [Hooks]> {
        if crate::bases::changed() {
            std::borrow::Cow::Owned(chain_of(self.class, self.own))
        } else {
            std::borrow::Cow::Borrowed(&self.chain)
        }
    }

    /// The traverse function the collector runs: the nearest along the
    /// chain (inherited, as CPython inherits `tp_traverse`). Only one, so
    /// each field is reported once: the collector counts references.
    fn gc_traverse(&self) -> Option<TraverseFn> {
        let t = self.hooks().iter().find_map(|h| h.traverse)?;
        // SAFETY: HPy_tp_traverse has the traverseproc type.
        Some(unsafe { core::mem::transmute::<unsafe extern "C" fn() -> *mut c_void, TraverseFn>(t) })
    }
}

/// The HPy types made so far, by the address of their type object (types
/// from specs are never freed, so addresses are never reused).
static TYPES: RwLock<Option<HashMap<usize, Arc<TypeInfo>>>> = RwLock::new(None);

fn register(ty: &Py<PyType>, info: TypeInfo) -> Arc<TypeInfo> {
    let info = Arc::new(info);
    let mut table = TYPES.write().unwrap_or_else(|p| p.into_inner());
    table.get_or_insert_with(HashMap::new).insert(ty as *const Py<PyType> as usize, info.clone());
    info
}

/// Whether `ty` was made from an HPy spec.
pub fn is_hpy_type(ty: &Py<PyType>) -> bool {
    let table = TYPES.read().unwrap_or_else(|p| p.into_inner());
    table.as_ref().is_some_and(|t| t.contains_key(&(ty as *const Py<PyType> as usize)))
}

/// The info of the nearest HPy type in the MRO of `ty`.
pub fn info_of(ty: &Py<PyType>) -> Option<Arc<TypeInfo>> {
    let table = TYPES.read().unwrap_or_else(|p| p.into_inner());
    let table = table.as_ref()?;
    let key = |t: &Py<PyType>| t as *const Py<PyType> as usize;
    if let Some(i) = table.get(&key(ty)) {
        return Some(i.clone());
    }
    ty.mro.read().iter().find_map(|t| table.get(&key(t)).cloned())
}

/// The native storage of one instance. The extension writes to it through
/// the pointer `HPy_AsStruct` returns, hence the cells; like CPython, Lichen
/// leaves synchronising those writes to the extension.
struct Storage(Box<[UnsafeCell<u64>]>);
// SAFETY: the storage is plain bytes; access is the extension's business,
// exactly as for the struct of a CPython object.
unsafe impl Send for Storage {}
unsafe impl Sync for Storage {}

impl core::fmt::Debug for Storage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Storage({} bytes)", self.0.len() * 8)
    }
}

/// The base class of every HPy type; its payload is the extension's struct.
#[rustpython_vm::pyclass(module = "_lichen", name = "HPyObject", traverse = "manual")]
#[derive(Debug, rustpython_vm::PyPayload)]
pub struct HPyObject {
    storage: Storage,
    info: Arc<TypeInfo>,
}

#[rustpython_vm::pyclass(flags(BASETYPE), with(Constructor))]
impl HPyObject {}

impl Constructor for HPyObject {
    type Args = FuncArgs;

    fn slot_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
        let Some(info) = info_of(&cls) else {
            return Err(vm.new_type_error("cannot create '_lichen.HPyObject' instances"));
        };
        match info.new {
            Some(new) => call_new(vm, new, &info, &cls, args),
            None => Ok(alloc(vm, cls, info)?.0),
        }
    }

    fn py_new(_cls: &Py<PyType>, _args: FuncArgs, vm: &VirtualMachine) -> PyResult<Self> {
        Err(vm.new_type_error("cannot create '_lichen.HPyObject' instances"))
    }
}

impl HPyObject {
    pub fn data(&self) -> *mut c_void {
        self.storage.0.as_ptr() as *mut c_void
    }
}

type TraverseFn = func_types::traverseproc;

lichen_core::guarded_entry! { lichen_core::guard::report_ignored;
/// Releases the object a field holds, for the traverse run at deallocation.
unsafe extern "C" fn clear_field(field: *mut HPyField, _arg: *mut c_void) -> c_int {
    // SAFETY: traverse passes the address of a field of the dying object.
    let f = unsafe { &mut *field };
    let old = core::mem::replace(f, HPyField::NULL);
    if !old.is_null() {
        // SAFETY: a non-empty field owns one reference (see `field_store`).
        drop(unsafe { take_handle(HPy { _i: old._i }) });
    }
    0
}
}

impl Drop for HPyObject {
    /// As CPython's subtype_dealloc: the destroy function of every HPy type
    /// on the chain, most derived first, then the fields each type's
    /// traverse visits are released (a field visited twice is empty the
    /// second time).
    fn drop(&mut self) {
        let data = self.data();
        let hooks = self.info.hooks();
        for destroy in hooks.iter().filter_map(|h| h.destroy) {
            // SAFETY: HPy_tp_destroy is `void (*)(void *)` and gets the
            // struct of the object being freed.
            let f: unsafe extern "C" fn(*mut c_void) = unsafe { core::mem::transmute(destroy) };
            // SAFETY: `data` is this object's struct, at least as large as
            // the struct of every type on its chain (see `crate::bases`).
            unsafe { f(data) };
        }
        for traverse in hooks.iter().filter_map(|h| h.traverse) {
            // SAFETY: HPy_tp_traverse has the traverseproc type.
            let f: TraverseFn = unsafe { core::mem::transmute(traverse) };
            // SAFETY: it visits fields of the struct; `clear_field` empties
            // each, so one visited by several types is released once.
            unsafe { f(data, Some(clear_field), core::ptr::null_mut()) };
        }
    }
}

lichen_core::guarded_entry! { lichen_core::guard::report_ignored;
/// The visitor `HPy_tp_traverse` gets while RustPython's cycle collector
/// traverses an object: each non-empty field's object is reported.
unsafe extern "C" fn report_field(field: *mut HPyField, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the tracer `Traverse::traverse` passes for the
    // duration of the call, and `field` a field of the object's struct.
    let (f, tracer) = unsafe { (*field, &mut *arg.cast::<&mut rustpython_vm::object::TraverseFn<'_>>()) };
    if !f.is_null() {
        // SAFETY: a non-empty field holds a reference, so the object is alive.
        tracer(unsafe { h2o(HPy { _i: f._i }) });
    }
    0
}
}

lichen_core::guarded_entry! { lichen_core::guard::report_ignored;
/// The visitor for the collector's clear: each field gives up its
/// reference to `arg`'s vector, which breaks the cycle.
unsafe extern "C" fn take_field(field: *mut HPyField, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the vector `Traverse::clear` passes for the duration
    // of the call, and `field` a field of the object's struct.
    let (f, out) = unsafe { (&mut *field, &mut *arg.cast::<Vec<PyObjectRef>>()) };
    let old = core::mem::replace(f, HPyField::NULL);
    if !old.is_null() {
        // SAFETY: a non-empty field owns one reference, handed over once.
        out.push(unsafe { take_handle(HPy { _i: old._i }) });
    }
    0
}
}

// SAFETY: the objects reported are those the fields own, once each, as the
// extension's tp_traverse visits each field once (HPy requires it).
unsafe impl Traverse for HPyObject {
    fn traverse(&self, tracer: &mut rustpython_vm::object::TraverseFn<'_>) {
        let Some(f) = self.info.gc_traverse() else { return };
        let mut tracer = tracer;
        // SAFETY: the visitor reads the fields of this struct and calls the
        // tracer, which outlives the call.
        unsafe { f(self.data(), Some(report_field), (&mut tracer as *mut &mut rustpython_vm::object::TraverseFn<'_>).cast()) };
    }

    fn clear(&mut self, out: &mut Vec<PyObjectRef>) {
        let Some(f) = self.info.gc_traverse() else { return };
        // SAFETY: the visitor empties the fields of this struct into `out`,
        // which outlives the call.
        unsafe { f(self.data(), Some(take_field), (out as *mut Vec<PyObjectRef>).cast()) };
    }
}

/// The extension's struct for an instance of an HPy type whose base is a
/// builtin type other than `object` (a `str` subclass, say): RustPython
/// gives such instances the builtin's payload, so the struct lives in this
/// object, kept in the instance's dict under [`STORAGE_KEY`] and made
/// (zeroed) the first time it is asked for. It dies with the instance's dict,
/// which runs `HPy_tp_destroy` and releases the fields.
#[rustpython_vm::pyclass(module = "_lichen", name = "HPyStorage", traverse = "manual")]
#[derive(Debug, rustpython_vm::PyPayload)]
pub struct DictStorage {
    inner: HPyObject,
}

// SAFETY: delegates to the struct it holds, which reports each field once.
unsafe impl Traverse for DictStorage {
    fn traverse(&self, tracer: &mut rustpython_vm::object::TraverseFn<'_>) {
        self.inner.traverse(tracer)
    }

    fn clear(&mut self, out: &mut Vec<PyObjectRef>) {
        self.inner.clear(out)
    }
}

#[rustpython_vm::pyclass]
impl DictStorage {}

pub const STORAGE_KEY: &str = "__lichen_hpy_struct__";

/// The struct of `obj`: its payload for `HPyObject` instances, its dict's
/// storage object for HPy types with a builtin base (for a class of an HPy
/// metaclass, a class attribute); `None` for objects of other types.
pub fn struct_of(vm: &VirtualMachine, obj: &PyObject) -> PyResult<Option<*mut c_void>> {
    if let Some(o) = obj.downcast_ref::<HPyObject>() {
        return Ok(Some(o.data()));
    }
    let Some(info) = info_of(obj.class()) else { return Ok(None) };
    if let Some(ty) = obj.downcast_ref::<PyType>() {
        return Ok(Some(type_storage(vm, ty, info)));
    }
    let Some(dict) = obj.dict() else { return Ok(None) };
    if let Some(existing) = dict.get_item_opt(STORAGE_KEY, vm)? {
        if let Some(s) = existing.downcast_ref::<DictStorage>() {
            return big_enough(vm, obj, &s.inner, &info).map(Some);
        }
    }
    let storage = new_storage(vm, info);
    let data = storage.inner.data();
    dict.set_item(STORAGE_KEY, storage.into(), vm)?;
    Ok(Some(data))
}

/// The struct in `storage` unless it is smaller than the class of `obj`
/// needs (its `__class__` or a base changed since it was made, which the
/// basicsize check cannot see for a builtin base): a `TypeError` then,
/// not a struct that the extension would read past.
fn big_enough(vm: &VirtualMachine, obj: &PyObject, storage: &HPyObject, info: &TypeInfo) -> PyResult<*mut c_void> {
    if storage.info.basicsize >= info.basicsize {
        return Ok(storage.data());
    }
    Err(vm.new_type_error(format!("the HPy struct of this '{}' object is smaller than its type's", obj.class().name())))
}

fn new_storage(vm: &VirtualMachine, info: Arc<TypeInfo>) -> rustpython_vm::PyRef<DictStorage> {
    DictStorage::make_static_type();
    DictStorage { inner: HPyObject { storage: zeroed(info.basicsize), info } }.into_ref(&vm.ctx)
}

/// The struct of a class whose metaclass is an HPy type (shape `Type`).
/// A type keeps no instance dict, so the storage object is one of the
/// class's own attributes; looked up without the MRO, as every subclass
/// (an instance of the metaclass too) has a struct of its own.
fn type_storage(vm: &VirtualMachine, ty: &Py<PyType>, info: Arc<TypeInfo>) -> *mut c_void {
    let key = vm.ctx.intern_str(STORAGE_KEY);
    if let Some(existing) = ty.get_direct_attr(key) {
        if let Some(s) = existing.downcast_ref::<DictStorage>() {
            return s.inner.data();
        }
    }
    let storage = new_storage(vm, info);
    let data = storage.inner.data();
    ty.set_attr(key, storage.into());
    data
}

fn zeroed(basicsize: usize) -> Storage {
    let words = basicsize.div_ceil(8).max(1);
    Storage((0..words).map(|_| UnsafeCell::new(0)).collect())
}

/// The class `HPyObject`, made on first use.
pub(crate) fn base_class(_vm: &VirtualMachine) -> &'static Py<PyType> {
    HPyObject::make_static_type();
    HPyObject::static_type()
}

/// A new zeroed instance of `cls` and its storage.
pub fn alloc(vm: &VirtualMachine, cls: PyTypeRef, info: Arc<TypeInfo>) -> PyResult<(PyObjectRef, *mut c_void)> {
    if !cls.fast_issubclass(base_class(vm)) {
        // A builtin base makes the object; the struct comes with it. Not
        // `cls.__new__`: for a type with tp_new that would call it again.
        let base = builtin_base_of(&cls).ok_or_else(|| vm.new_type_error("HPy_New: no builtin base"))?;
        let obj = base.as_object().get_attr("__new__", vm)?.call((cls.clone(),), vm)?;
        let data = struct_of(vm, &obj)?.ok_or_else(|| vm.new_type_error("HPy_New: no native storage"))?;
        return Ok((obj, data));
    }
    // Not `into_ref_with_type`, which wants the class's basicsize to be
    // `HPyObject`'s: HPy types declare their struct in it (`layout_size`).
    let dict = cls.slots.flags.has_feature(PyTypeFlags::HAS_DICT).then(|| vm.ctx.new_dict());
    let obj = rustpython_vm::PyRef::new_ref(HPyObject { storage: zeroed(info.basicsize), info }, cls, dict);
    let data = obj.data();
    Ok((obj.into(), data))
}

/// The `basicsize` of an HPy type whose instances are `HPyObject`s with a
/// struct of `struct_size` bytes. RustPython compares basicsizes where
/// CPython compares layouts: to refuse a `__class__` assignment between
/// types whose structs differ, and to find a class's solid base (so a class
/// with two bases that each add storage is refused, as on CPython).
fn layout_size(struct_size: usize) -> usize {
    base_class_size() + struct_size.div_ceil(8) * 8
}

fn base_class_size() -> usize {
    HPyObject::make_static_type();
    HPyObject::static_type().slots.basicsize
}

type NewFn = unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, HPy_ssize_t, HPy) -> HPy;
type InitFn = unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, HPy_ssize_t, HPy) -> c_int;

/// A borrowed handle for an object the caller keeps alive.
fn lend(obj: &PyObject) -> HPy {
    HPy { _i: obj as *const PyObject as isize }
}

/// The keywords of a call as a dict, or `None` when there are none.
fn kw_dict(vm: &VirtualMachine, args: &FuncArgs) -> PyResult<Option<PyObjectRef>> {
    if args.kwargs.is_empty() {
        return Ok(None);
    }
    let d = vm.ctx.new_dict();
    for (k, v) in args.kwargs.iter() {
        d.set_item(k.as_str(), v.clone(), vm)?;
    }
    Ok(Some(d.into()))
}

fn call_new(
    vm: &VirtualMachine,
    new: unsafe extern "C" fn() -> *mut c_void,
    info: &TypeInfo,
    cls: &Py<PyType>,
    args: FuncArgs,
) -> PyResult {
    let kw = kw_dict(vm, &args)?;
    let handles: Vec<HPy> = args.args.iter().map(|a| lend(a)).collect();
    let kw_h = kw.as_deref().map_or(HPy::NULL, lend);
    let n = handles.len() as HPy_ssize_t;
    // SAFETY: the arguments, `cls` and `kw` outlive the call; HPy_tp_new
    // has the newfunc type.
    let r = unsafe {
        info.ctx.call(HPyFunc_Signature::NEWFUNC, new, |c, f: NewFn| f(c, lend(cls.as_object()), handles.as_ptr(), n, kw_h))
    };
    finish(vm, r, "HPy_tp_new")
}

/// `__new__` for an HPy type with `HPy_tp_new` whose base is a builtin other
/// than `object`: `HPyObject`'s constructor, which dispatches `HPy_tp_new`
/// for the other HPy types, is not in its MRO. Setting it makes RustPython
/// route the type's construction (and its subclasses') here.
/// `full` is the spec's dotted name, which CPython's messages show.
fn add_builtin_base_new(vm: &VirtualMachine, class: &'static Py<PyType>, full: &'static str) -> PyResult<()> {
    let def = vm.ctx.new_method_def(
        "__new__",
        move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            if args.args.is_empty() {
                return Err(vm.new_type_error(format!("{full}.__new__(): not enough arguments")));
            }
            let cls = args.args.remove(0).downcast::<PyType>().map_err(|o| {
                vm.new_type_error(format!("{full}.__new__(X): X is not a type object ({})", o.class().name()))
            })?;
            if !cls.fast_issubclass(class) {
                let sub = cls.name();
                return Err(vm.new_type_error(format!("{full}.__new__({sub}): {sub} is not a subtype of {full}")));
            }
            let info = info_of(&cls).ok_or_else(|| vm.new_system_error("HPy_tp_new: the type lost its HPy info"))?;
            let new = info.new.ok_or_else(|| vm.new_system_error("HPy_tp_new: the type has no HPy_tp_new"))?;
            call_new(vm, new, &info, &cls, args)
        },
        PyMethodFlags::STATIC,
        None,
    );
    set_class_attr(vm, class, "__new__", def.build_function(vm).into())
}

/// The first builtin (non-heap) type along the MRO of `cls`: the one whose
/// `__new__` makes the payload of an HPy type with a builtin base.
fn builtin_base_of(cls: &Py<PyType>) -> Option<PyTypeRef> {
    cls.mro.read().iter().find(|t| !t.slots.flags.has_feature(PyTypeFlags::HEAPTYPE)).cloned()
}

/// The dotted name split into `__module__` and the type's own name.
fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('.') {
        Some((m, n)) => (Some(m), n),
        None => (None, name),
    }
}

fn unsupported_slot(vm: &VirtualMachine, slot: HPySlot_Slot) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_exception_msg(
        vm.ctx.exceptions.not_implemented_error.to_owned(),
        format!(
            "HPyType_FromSpec: slot {} is not supported by the RustPython host yet",
            slot.name().unwrap_or("?")
        )
        .into(),
    )
}

/// The bases of the new type: HPy types as they are; `object` (or none)
/// becomes `HPyObject`, which every HPy type needs for its storage.
fn bases(vm: &VirtualMachine, spec: &TypeSpec) -> PyResult<Vec<PyTypeRef>> {
    let objs: Vec<PyObjectRef> = match &spec.bases {
        Bases::Default => Vec::new(),
        // SAFETY: the handles of a spec's params are the extension's, live
        // during the HPyType_FromSpec call that builds the type (HPy's
        // contract for HPyType_SpecParam), so `h2o` may borrow each.
        Bases::List(hs) => hs.iter().map(|&h| unsafe { h2o(h) }.to_owned()).collect(),
        Bases::Tuple(h) => {
            // SAFETY: the BasesTuple param's handle, live for the call like
            // the list's above.
            let t = unsafe { h2o(*h) };
            match t.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
                Some(t) => t.as_slice().to_vec(),
                None => return Err(vm.new_type_error("HPyType_SpecParam_BasesTuple must be a tuple")),
            }
        }
    };
    let base = base_class(vm);
    let mut out = Vec::new();
    for o in objs {
        let Ok(t) = o.downcast::<PyType>() else {
            return Err(vm.new_type_error("bases must be types"));
        };
        if t.is(vm.ctx.types.object_type) {
            out.push(base.to_owned());
        } else {
            // An HPy type, or a builtin one (str, int, ...): instances of the
            // latter keep the extension's struct in their dict (see
            // `DictStorage`).
            out.push(t);
        }
    }
    if out.is_empty() {
        out.push(base.to_owned());
    }
    Ok(out)
}

/// Creates the type of a checked spec.
///
/// # Safety
/// `spec` must come from `type_spec` for a spec of an extension loaded
/// with `ctx`.
pub unsafe fn type_from_spec(vm: &VirtualMachine, spec: &TypeSpec, ctx: *mut HPyContext) -> PyResult {
    if !spec.legacy_slots.is_null() {
        return Err(vm.new_system_error(
            "HPyType_FromSpec: legacy slots (CPython C API) cannot be used on the RustPython host",
        ));
    }
    let full = spec.name.to_str().map_err(|_| vm.new_value_error("type name must be UTF-8"))?;
    let (module, name) = split_name(full);
    let bases = bases(vm, spec)?;
    let metaclass = match spec.metaclass {
        // SAFETY: the handle is live during the call.
        Some(h) => unsafe { h2o(h) }
            .to_owned()
            .downcast::<PyType>()
            .map_err(|_| vm.new_type_error("metaclass must be a type"))?,
        None => vm.ctx.types.type_type.to_owned(),
    };
    // As CPython's PyType_FromMetaclass: the type is made as `type` makes
    // types, which a metaclass's own `__new__` would bypass (and a class that
    // is no metaclass at all has one: object's).
    let new_of = |t: &PyType| t.get_attr(rustpython_vm::identifier!(vm, __new__));
    let custom = match (new_of(&metaclass), new_of(vm.ctx.types.type_type)) {
        (Some(m), Some(t)) => !m.is(&t),
        _ => true,
    };
    if custom {
        return Err(vm.new_type_error("Metaclasses with custom tp_new are not supported."));
    }
    let mut slots = PyTypeSlots::heap_default();
    if spec.flags & (1 << 10) != 0 {
        slots.flags |= PyTypeFlags::BASETYPE;
    }
    let builtin_base = !bases.iter().all(|b| b.fast_issubclass(base_class(vm)));
    // Like on CPython, instances of HPy types have no __dict__ of their own,
    // except where a base gives them one; with a builtin base the struct
    // lives in the dict (see `DictStorage`).
    if builtin_base || bases.iter().any(|b| b.slots.flags.has_feature(PyTypeFlags::HAS_DICT)) {
        slots.flags |= PyTypeFlags::HAS_DICT;
    }
    let base_infos: Vec<Arc<TypeInfo>> = bases.iter().filter_map(|b| info_of(b)).collect();
    let inherited = base_infos.iter().map(|i| i.basicsize).max().unwrap_or(0);
    let inherited_call = base_infos.iter().find_map(|i| i.call_offset);
    // A type without its own HPy_tp_new inherits its HPy base's, as CPython's
    // tp_new is inherited.
    let inherited_new = base_infos.iter().find_map(|i| i.new);
    let own_size = (spec.basicsize.max(0) as usize).max(inherited);
    let (basicsize, own_call) = call_layout(vm, spec, own_size)?;
    let buffer = buffer_slots(spec, Ctx(ctx)).or_else(|| base_infos.iter().find_map(|i| i.buffer));
    let seq = seq_slots(spec, Ctx(ctx), &base_infos);
    if buffer.is_some() {
        slots.as_buffer = Some(crate::buffer::as_buffer);
    }
    if !builtin_base {
        slots.basicsize = layout_size(basicsize);
    }
    crate::bases::guard(vm);
    let ty = PyType::new_heap(name, bases, Default::default(), slots, metaclass, &vm.ctx)
        .map_err(|e| vm.new_type_error(e))?;
    if let Some(m) = module {
        ty.as_object().set_attr("__module__", vm.ctx.new_str(m), vm)?;
    }
    if !spec.doc.is_null() {
        // SAFETY: the doc is a static string of the extension.
        let doc = unsafe { CStr::from_ptr(spec.doc) }.to_string_lossy().into_owned();
        ty.as_object().set_attr("__doc__", vm.ctx.new_str(doc), vm)?;
    }
    let find = |s: HPySlot_Slot| spec.slots.iter().find(|x| x.slot == s).and_then(|x| x.impl_);
    let own_new = find(HPySlot_Slot::tp_new);
    // Leaked on purpose: types from specs live as long as the process, and
    // method descriptors want a `'static` class.
    let class: &'static Py<PyType> = Box::leak(Box::new(ty.clone()));
    let own = Hooks { destroy: spec.destroy.and_then(|s| s.impl_), traverse: spec.traverse.and_then(|s| s.impl_) };
    register(
        &ty,
        TypeInfo {
            basicsize,
            shape: spec.shape,
            new: own_new.or(inherited_new),
            own,
            chain: chain_of(class, own),
            class,
            call_offset: own_call.or(inherited_call),
            buffer,
            ctx: Ctx(ctx),
            seq,
        },
    );
    if builtin_base && own_new.is_some() {
        add_builtin_base_new(vm, class, crate::module::leak(full.to_owned()))?;
    }
    let ctx = Ctx(ctx);
    for m in &spec.methods {
        add_method(vm, class, m, ctx)?;
    }
    for m in &spec.members {
        add_member(vm, class, m)?;
    }
    for g in &spec.getsets {
        add_getset(vm, class, g, ctx)?;
    }
    for s in spec.slots.iter().filter(|s| !shadowed(spec, s.slot)) {
        add_slot(vm, class, s, ctx)?;
    }
    let has = |slot: HPySlot_Slot| spec.slots.iter().any(|s| s.slot == slot);
    if has(HPySlot_Slot::tp_richcompare) && !has(HPySlot_Slot::tp_hash) {
        // CPython does not inherit tp_hash into a type that defines its own
        // comparison: such a type is unhashable.
        set_class_attr(vm, class, "__hash__", vm.ctx.none())?;
    }
    if let Some(offset) = own_call {
        add_call(vm, class, offset, spec.call, ctx)?;
    }
    // Last: every special method set above has had RustPython update the
    // type's slots from it.
    set_sequence_slots(class, &seq);
    Ok(ty.into())
}

/// The sequence slots a spec defines, each taken from the HPy bases where
/// the spec has none, as CPython inherits them.
fn seq_slots(spec: &TypeSpec, ctx: Ctx, bases: &[Arc<TypeInfo>]) -> SeqSlots {
    let pick = |slot: HPySlot_Slot, of: fn(&SeqSlots) -> Option<(Impl, Ctx)>| {
        let own = spec.slots.iter().find(|x| x.slot == slot).and_then(|x| x.impl_);
        own.map(|i| (i, ctx)).or_else(|| bases.iter().find_map(|b| of(&b.seq)))
    };
    SeqSlots {
        repeat: pick(HPySlot_Slot::sq_repeat, |s| s.repeat),
        inplace_repeat: pick(HPySlot_Slot::sq_inplace_repeat, |s| s.inplace_repeat),
        concat: pick(HPySlot_Slot::sq_concat, |s| s.concat),
        inplace_concat: pick(HPySlot_Slot::sq_inplace_concat, |s| s.inplace_concat),
    }
}

/// Sets the type's sequence repeat and concat slots as CPython has them:
/// from the HPy sequence slots only.
///
/// RustPython makes a `__mul__` (`__imul__`) the sequence repeat (in-place
/// repeat) of a class too, and `a * b` falls back to repeating whichever
/// operand has a sequence item slot (any `__getitem__`) once the number
/// slots of both returned `NotImplemented`: `2 * c`, for a type with
/// `HPy_nb_multiply` that only takes an int on its right, would return
/// `c * 2`, where CPython raises `TypeError`. Without a repeat slot,
/// RustPython's sequence protocol still falls back to `__mul__`, so a type
/// without `HPy_sq_repeat` (own, an HPy base's, or a builtin base's such as
/// `list`'s) gets [`seq_repeat`] all the same, which raises. (A Python
/// subclass gets RustPython's slots again: RustPython fills a new class's
/// slots from the special methods along its MRO.)
fn set_sequence_slots(class: &Py<PyType>, seq: &SeqSlots) {
    let mro = &class.mro.read()[1..];
    let s = &class.slots.as_sequence;
    let repeat = if seq.repeat.is_some() { None } else { builtin_slot(mro, |b| b.repeat.load()) };
    s.repeat.store(repeat.or(Some(seq_repeat)));
    s.inplace_repeat.store(seq.inplace_repeat.map(|_| seq_inplace_repeat as _).or_else(|| builtin_slot(mro, |b| b.inplace_repeat.load())));
    s.concat.store(seq.concat.map(|_| seq_concat as _).or_else(|| builtin_slot(mro, |b| b.concat.load())));
    s.inplace_concat.store(seq.inplace_concat.map(|_| seq_inplace_concat as _).or_else(|| builtin_slot(mro, |b| b.inplace_concat.load())));
}

/// The sequence slot `load` of the nearest builtin type in `mro`, such as
/// `list`'s.
fn builtin_slot<F>(mro: &[PyTypeRef], load: impl Fn(&rustpython_vm::protocol::PySequenceSlots) -> Option<F>) -> Option<F> {
    mro.iter().filter(|t| !is_hpy_type(t)).find_map(|t| load(&t.slots.as_sequence))
}

/// Calls the sequence slot `pick` of the object's HPy type (`TypeError`
/// without one) with the receiver and `arg`.
fn call_seq_slot(
    seq: rustpython_vm::protocol::PySequence<'_>,
    vm: &VirtualMachine,
    pick: fn(&SeqSlots) -> Option<(Impl, Ctx)>,
    name: &str,
    call: impl FnOnce(Ctx, Impl) -> HPy,
) -> PyResult {
    let Some((imp, ctx)) = info_of(seq.obj.class()).and_then(|i| pick(&i.seq)) else {
        let what = if name.contains("mul") { "repeated" } else { "concatenated" };
        return Err(vm.new_type_error(format!("'{}' object can't be {what}", seq.obj.class().name())));
    };
    finish(vm, call(ctx, imp), name)
}

fn seq_repeat(seq: rustpython_vm::protocol::PySequence<'_>, n: isize, vm: &VirtualMachine) -> PyResult {
    // SAFETY: an HPy_sq_repeat implementation has the ssizeargfunc type;
    // the receiver outlives the call.
    call_seq_slot(seq, vm, |s| s.repeat, "__mul__", |ctx, imp| unsafe {
        ctx.call(HPyFunc_Signature::SSIZEARGFUNC, imp, |c, f: func_types::ssizeargfunc| f(c, lend(seq.obj), n))
    })
}

fn seq_inplace_repeat(seq: rustpython_vm::protocol::PySequence<'_>, n: isize, vm: &VirtualMachine) -> PyResult {
    // SAFETY: as in `seq_repeat`, for HPy_sq_inplace_repeat.
    call_seq_slot(seq, vm, |s| s.inplace_repeat, "__imul__", |ctx, imp| unsafe {
        ctx.call(HPyFunc_Signature::SSIZEARGFUNC, imp, |c, f: func_types::ssizeargfunc| f(c, lend(seq.obj), n))
    })
}

fn seq_concat(seq: rustpython_vm::protocol::PySequence<'_>, other: &PyObject, vm: &VirtualMachine) -> PyResult {
    // SAFETY: an HPy_sq_concat implementation has the binaryfunc type;
    // the receiver and the other operand outlive the call.
    call_seq_slot(seq, vm, |s| s.concat, "__add__", |ctx, imp| unsafe {
        ctx.call(HPyFunc_Signature::BINARYFUNC, imp, |c, f: func_types::binaryfunc| f(c, lend(seq.obj), lend(other)))
    })
}

fn seq_inplace_concat(seq: rustpython_vm::protocol::PySequence<'_>, other: &PyObject, vm: &VirtualMachine) -> PyResult {
    // SAFETY: as in `seq_concat`, for HPy_sq_inplace_concat.
    call_seq_slot(seq, vm, |s| s.inplace_concat, "__iadd__", |ctx, imp| unsafe {
        ctx.call(HPyFunc_Signature::BINARYFUNC, imp, |c, f: func_types::binaryfunc| f(c, lend(seq.obj), lend(other)))
    })
}

/// A C string of the extension that lives as long as the process.
///
/// # Safety
/// `s` must be NUL-terminated and never freed.
unsafe fn static_text(s: *const c_char) -> &'static str {
    // SAFETY: `s` is NUL-terminated (this function's contract), and never
    // freed, so the borrow may be `'static`.
    let c: &'static CStr = unsafe { CStr::from_ptr(s) };
    c.to_str().unwrap_or("<non-UTF-8 name>")
}

fn set_class_attr(vm: &VirtualMachine, class: &'static Py<PyType>, name: &str, value: PyObjectRef) -> PyResult<()> {
    class.as_object().set_attr(&vm.ctx.new_str(name), value, vm)
}

/// `TypeError` unless `obj` is an instance of `class`: the implementations
/// behind a descriptor trust their receiver's struct, as under CPython,
/// where the descriptor makes the same check.
fn check_receiver(vm: &VirtualMachine, class: &'static Py<PyType>, name: &str, obj: &PyObject) -> PyResult<()> {
    if obj.fast_isinstance(class) {
        return Ok(());
    }
    Err(vm.new_type_error(format!(
        "descriptor '{name}' for '{}' objects doesn't apply to a '{}' object",
        class.name(),
        obj.class().name()
    )))
}

/// A method descriptor named `name` that calls `f` with the receiver and
/// the rest of the arguments.
fn native_method(
    vm: &VirtualMachine,
    class: &'static Py<PyType>,
    name: &'static str,
    doc: Option<&'static str>,
    f: impl Fn(&VirtualMachine, &PyObject, FuncArgs) -> PyResult + Send + Sync + 'static,
) -> PyObjectRef {
    let def = vm.ctx.new_method_def(
        name,
        move |mut args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            if args.args.is_empty() {
                return Err(vm.new_type_error(format!("descriptor '{name}' needs an argument")));
            }
            let receiver = args.args.remove(0);
            check_receiver(vm, class, name, &receiver)?;
            f(vm, &receiver, args)
        },
        PyMethodFlags::METHOD,
        doc,
    );
    def.build_method(class, vm).into()
}

fn add_method(vm: &VirtualMachine, class: &'static Py<PyType>, m: &HPyMeth, ctx: Ctx) -> PyResult<()> {
    let Some(impl_) = m.impl_ else { return Err(vm.new_system_error("HPyMeth without an implementation")) };
    // SAFETY: names and docs are static strings of the extension.
    let (name, doc) = unsafe { (static_text(m.name), (!m.doc.is_null()).then(|| static_text(m.doc))) };
    let qualname = crate::module::leak(format!("{}.{name}", class.name()));
    let method = Method { name, qualname, signature: m.signature, impl_, ctx };
    let d = native_method(vm, class, name, doc, move |vm, recv, args| method.call(vm, recv, args));
    set_class_attr(vm, class, name, d)
}

/// The struct of an instance, or `TypeError` for anything else.
fn storage_of(vm: &VirtualMachine, obj: &PyObject) -> PyResult<*mut u8> {
    match struct_of(vm, obj)? {
        Some(p) => Ok(p.cast()),
        None => Err(vm.new_type_error(format!("'{}' object is not an HPy object", obj.class().name()))),
    }
}

fn add_member(vm: &VirtualMachine, class: &'static Py<PyType>, m: &HPyMember) -> PyResult<()> {
    // SAFETY: the name is a static string of the extension.
    let name = unsafe { static_text(m.name) };
    let (kind, offset, readonly) = (m.type_, m.offset as usize, m.readonly != 0);
    let getter = move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
        check_receiver(vm, class, name, &obj)?;
        let base = storage_of(vm, &obj)?;
        // SAFETY: the spec declares a field of `kind` at `offset` of the struct.
        unsafe { crate::member::read(vm, kind, base.add(offset), &obj, name) }
    };
    let setter = move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
        check_receiver(vm, class, name, &obj)?;
        if readonly {
            return Err(vm.new_attribute_error("readonly attribute"));
        }
        let base = storage_of(vm, &obj)?;
        match value {
            // SAFETY (both): `base` is the struct of `obj`, an instance of
            // `class` (checked above), which holds a field of `kind` at
            // `offset` (HPy's contract for HPyDef_MEMBER), writable: not
            // `readonly` (checked above).
            PySetterValue::Assign(v) => unsafe { crate::member::write(vm, kind, base.add(offset), v, name) },
            PySetterValue::Delete => unsafe { crate::member::delete(vm, kind, base.add(offset), name) },
        }
    };
    let d = vm.ctx.new_static_getset(name, class, getter, setter);
    set_class_attr(vm, class, name, d.into())
}

type GetterFn = unsafe extern "C" fn(*mut HPyContext, HPy, *mut c_void) -> HPy;
type SetterFn = unsafe extern "C" fn(*mut HPyContext, HPy, HPy, *mut c_void) -> c_int;

fn add_getset(vm: &VirtualMachine, class: &'static Py<PyType>, g: &HPyGetSet, ctx: Ctx) -> PyResult<()> {
    // SAFETY: the name is a static string of the extension.
    let name = unsafe { static_text(g.name) };
    let closure = g.closure as usize;
    let (get, set) = (g.getter_impl, g.setter_impl);
    let getter = move |obj: PyObjectRef, vm: &VirtualMachine| -> PyResult {
        check_receiver(vm, class, name, &obj)?;
        let Some(get) = get else {
            return Err(vm.new_attribute_error(format!("attribute '{name}' is not readable")));
        };
        // SAFETY: the receiver outlives the call; a getter implementation
        // has the getter type.
        let r = unsafe { ctx.call(HPyFunc_Signature::GETTER, get, |c, f: GetterFn| f(c, lend(&obj), closure as *mut c_void)) };
        finish(vm, r, name)
    };
    let setter = move |obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine| -> PyResult<()> {
        check_receiver(vm, class, name, &obj)?;
        let Some(set) = set else {
            return Err(vm.new_attribute_error(format!("attribute '{name}' is not writable")));
        };
        let v = match &value {
            PySetterValue::Assign(v) => lend(v),
            PySetterValue::Delete => HPy::NULL,
        };
        // SAFETY: the receiver and arguments outlive the call; a setter
        // implementation has the setter type.
        let r = unsafe { ctx.call(HPyFunc_Signature::SETTER, set, |c, f: SetterFn| f(c, lend(&obj), v, closure as *mut c_void)) };
        finish_status(vm, r, name)
    };
    let d = vm.ctx.new_static_getset(name, class, getter, setter);
    set_class_attr(vm, class, name, d.into())
}


const RICHCMP: &[(&str, HPy_RichCmpOp)] = &[
    ("__lt__", HPy_RichCmpOp::LT),
    ("__le__", HPy_RichCmpOp::LE),
    ("__eq__", HPy_RichCmpOp::EQ),
    ("__ne__", HPy_RichCmpOp::NE),
    ("__gt__", HPy_RichCmpOp::GT),
    ("__ge__", HPy_RichCmpOp::GE),
];

/// The index argument of a sequence slot, negative ones counted from the
/// end, as CPython's sq_item/sq_ass_item wrappers count them.
fn sequence_index(vm: &VirtualMachine, me: &PyObject, index: &PyObject) -> PyResult<isize> {
    let i = index.try_index(vm)?.try_to_primitive::<isize>(vm)?;
    if i >= 0 {
        return Ok(i);
    }
    // Without a length, CPython leaves the index alone too.
    match me.length_opt(vm) {
        Some(n) => Ok(i + n? as isize),
        None => Ok(i),
    }
}

/// The positional arguments of a special method, checked for their number.
fn exact<'a>(vm: &VirtualMachine, name: &str, args: &'a FuncArgs, n: usize) -> PyResult<&'a [PyObjectRef]> {
    if args.args.len() != n || !args.kwargs.is_empty() {
        return Err(vm.new_type_error(format!("{name}() takes exactly {n} argument(s) ({} given)", args.args.len())));
    }
    Ok(&args.args)
}

/// The body of a special method made from a slot.
type SlotMethod = Box<dyn Fn(&VirtualMachine, &PyObject, FuncArgs) -> PyResult + Send + Sync>;

fn add_slot(vm: &VirtualMachine, class: &'static Py<PyType>, s: &HPySlot, ctx: Ctx) -> PyResult<()> {
    let slot = s.slot;
    let Some(imp) = s.impl_ else { return Ok(()) };
    let add = |name: &'static str, f: SlotMethod| {
        let d = native_method(vm, class, name, None, f);
        set_class_attr(vm, class, name, d)
    };
    // SAFETY (every `ctx.call` below): the slot number fixes the HPy
    // function type of the implementation, and the signature with it.
    // The binary and unary special methods are named by the slot table (a
    // binary one's second name, if any, is its reflected form).
    let names = slot.special_methods();
    let signature = slot.signature();
    if signature == Some(HPyFunc_Signature::BINARYFUNC) {
        let name = names[0];
        add(name, Box::new(move |vm, me, args| {
            let a = exact(vm, name, &args, 1)?;
            // SAFETY: the receiver and arguments outlive the call.
            finish(vm, unsafe { ctx.call(HPyFunc_Signature::BINARYFUNC, imp, |c, f: func_types::binaryfunc| f(c, lend(me), lend(&a[0]))) }, name)
        }))?;
        if let Some(&rname) = names.get(1) {
            add(rname, Box::new(move |vm, me, args| {
                let a = exact(vm, rname, &args, 1)?;
                // SAFETY: the receiver and arguments outlive the call.
                finish(vm, unsafe { ctx.call(HPyFunc_Signature::BINARYFUNC, imp, |c, f: func_types::binaryfunc| f(c, lend(&a[0]), lend(me))) }, rname)
            }))?;
        }
        return Ok(());
    }
    if let Some(sig @ (HPyFunc_Signature::UNARYFUNC | HPyFunc_Signature::REPRFUNC)) = signature {
        let name = names[0];
        return add(name, Box::new(move |vm, me, args| {
            exact(vm, name, &args, 0)?;
            // SAFETY: the receiver and arguments outlive the call; both
            // signatures have `unaryfunc`'s C type.
            finish(vm, unsafe { ctx.call(sig, imp, |c, f: func_types::unaryfunc| f(c, lend(me))) }, name)
        }));
    }
    match slot {
        HPySlot_Slot::tp_new | HPySlot_Slot::tp_traverse => Ok(()),
        HPySlot_Slot::tp_init => {
            add("__init__", Box::new(move |vm, me, args| {
                let kw = kw_dict(vm, &args)?;
                let handles: Vec<HPy> = args.args.iter().map(|a| lend(a)).collect();
                let kw_h = kw.as_deref().map_or(HPy::NULL, lend);
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::INITPROC, imp, |c, f: InitFn| f(c, lend(me), handles.as_ptr(), handles.len() as HPy_ssize_t, kw_h)) };
                finish_status(vm, r, "__init__").map(|()| vm.ctx.none())
            }))
        }
        HPySlot_Slot::tp_hash => {
            add("__hash__", Box::new(move |vm, me, args| {
                exact(vm, "__hash__", &args, 0)?;
                // SAFETY: the receiver and arguments outlive the call.
                let h = unsafe { ctx.call(HPyFunc_Signature::HASHFUNC, imp, |c, f: func_types::hashfunc| f(c, lend(me))) };
                // -1 is an error only with an exception set: CPython's
                // `__hash__` wrapper returns a -1 hash that comes without one.
                check_value(vm, false, "__hash__").map(|()| vm.ctx.new_int(h).into())
            }))
        }
        HPySlot_Slot::tp_richcompare => {
            for &(name, op) in RICHCMP {
                add(name, Box::new(move |vm, me, args| {
                    let a = exact(vm, name, &args, 1)?;
                    // SAFETY: the receiver and arguments outlive the call.
                    finish(vm, unsafe { ctx.call(HPyFunc_Signature::RICHCMPFUNC, imp, |c, f: func_types::richcmpfunc| f(c, lend(me), lend(&a[0]), op)) }, name)
                }))?;
            }
            Ok(())
        }
        HPySlot_Slot::nb_bool => {
            add("__bool__", Box::new(move |vm, me, args| {
                exact(vm, "__bool__", &args, 0)?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::INQUIRY, imp, |c, f: func_types::inquiry| f(c, lend(me))) };
                check_value(vm, r < 0, "__bool__").map(|()| vm.ctx.new_bool(r != 0).into())
            }))
        }
        HPySlot_Slot::sq_length | HPySlot_Slot::mp_length => {
            add("__len__", Box::new(move |vm, me, args| {
                exact(vm, "__len__", &args, 0)?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::LENFUNC, imp, |c, f: func_types::lenfunc| f(c, lend(me))) };
                check_value(vm, r < 0, "__len__").map(|()| vm.ctx.new_int(r).into())
            }))
        }
        HPySlot_Slot::sq_item => {
            add("__getitem__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__getitem__", &args, 1)?;
                let i = sequence_index(vm, me, &a[0])?;
                // SAFETY: the receiver and arguments outlive the call.
                finish(vm, unsafe { ctx.call(HPyFunc_Signature::SSIZEARGFUNC, imp, |c, f: func_types::ssizeargfunc| f(c, lend(me), i)) }, "__getitem__")
            }))
        }
        HPySlot_Slot::sq_ass_item => {
            add("__setitem__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__setitem__", &args, 2)?;
                let i = sequence_index(vm, me, &a[0])?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::SSIZEOBJARGPROC, imp, |c, f: func_types::ssizeobjargproc| f(c, lend(me), i, lend(&a[1]))) };
                finish_status(vm, r, "__setitem__").map(|()| vm.ctx.none())
            }))?;
            add("__delitem__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__delitem__", &args, 1)?;
                let i = sequence_index(vm, me, &a[0])?;
                // SAFETY: the receiver outlives the call; a NULL value asks for deletion.
                let r = unsafe { ctx.call(HPyFunc_Signature::SSIZEOBJARGPROC, imp, |c, f: func_types::ssizeobjargproc| f(c, lend(me), i, HPy::NULL)) };
                finish_status(vm, r, "__delitem__").map(|()| vm.ctx.none())
            }))
        }
        HPySlot_Slot::sq_repeat | HPySlot_Slot::sq_inplace_repeat => {
            let names: &[&'static str] =
                if slot == HPySlot_Slot::sq_repeat { &["__mul__", "__rmul__"] } else { &["__imul__"] };
            for &name in names {
                add(name, Box::new(move |vm, me, args| {
                    let a = exact(vm, name, &args, 1)?;
                    // Not an index: the other operand may know better, and
                    // Python raises TypeError if it does not.
                    let Some(n) = a[0].try_index_opt(vm) else { return Ok(vm.ctx.not_implemented()) };
                    let n = n?.try_to_primitive::<isize>(vm)?;
                    // SAFETY: the receiver outlives the call.
                    finish(vm, unsafe { ctx.call(HPyFunc_Signature::SSIZEARGFUNC, imp, |c, f: func_types::ssizeargfunc| f(c, lend(me), n)) }, name)
                }))?;
            }
            Ok(())
        }
        HPySlot_Slot::tp_finalize => {
            add("__del__", Box::new(move |vm, me, args| {
                exact(vm, "__del__", &args, 0)?;
                // SAFETY: the receiver outlives the call.
                unsafe { ctx.call(HPyFunc_Signature::DESTRUCTOR, imp, |c, f: func_types::destructor| f(c, lend(me))) };
                // An exception left by the finalizer is unraisable; RustPython
                // reports one that `__del__` raises as such.
                check_value(vm, false, "__del__").map(|()| vm.ctx.none())
            }))
        }
        HPySlot_Slot::sq_contains => {
            add("__contains__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__contains__", &args, 1)?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::OBJOBJPROC, imp, |c, f: func_types::objobjproc| f(c, lend(me), lend(&a[0]))) };
                check_value(vm, r < 0, "__contains__").map(|()| vm.ctx.new_bool(r != 0).into())
            }))
        }
        HPySlot_Slot::mp_ass_subscript => {
            add("__setitem__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__setitem__", &args, 2)?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::OBJOBJARGPROC, imp, |c, f: func_types::objobjargproc| f(c, lend(me), lend(&a[0]), lend(&a[1]))) };
                finish_status(vm, r, "__setitem__").map(|()| vm.ctx.none())
            }))?;
            add("__delitem__", Box::new(move |vm, me, args| {
                let a = exact(vm, "__delitem__", &args, 1)?;
                // SAFETY: the receiver and arguments outlive the call.
                let r = unsafe { ctx.call(HPyFunc_Signature::OBJOBJARGPROC, imp, |c, f: func_types::objobjargproc| f(c, lend(me), lend(&a[0]), HPy::NULL)) };
                finish_status(vm, r, "__delitem__").map(|()| vm.ctx.none())
            }))
        }
        HPySlot_Slot::nb_power | HPySlot_Slot::nb_inplace_power => {
            let name = if slot == HPySlot_Slot::nb_power { "__pow__" } else { "__ipow__" };
            add(name, Box::new(move |vm, me, args| {
                let b = args.args.first().cloned().ok_or_else(|| vm.new_type_error("pow() needs an exponent"))?;
                let m = args.args.get(1).cloned().unwrap_or_else(|| vm.ctx.none());
                // SAFETY: the receiver and arguments outlive the call.
                finish(vm, unsafe { ctx.call(HPyFunc_Signature::TERNARYFUNC, imp, |c, f: func_types::ternaryfunc| f(c, lend(me), lend(&b), lend(&m))) }, name)
            }))
        }
        other => Err(unsupported_slot(vm, other)),
    }
}

/// The exception an implementation reported with its error value, or
/// `SystemError` when it set none.
fn check_value(vm: &VirtualMachine, failed: bool, name: &str) -> PyResult<()> {
    let pending = take_pending();
    match (failed, pending) {
        (false, None) => Ok(()),
        (_, Some(e)) => Err(e),
        (true, None) => Err(vm.new_system_error(format!("{name} returned an error without setting an exception"))),
    }
}

/// The buffer slots a spec defines itself.
fn buffer_slots(spec: &TypeSpec, ctx: Ctx) -> Option<crate::buffer::BufferSlots> {
    let get = spec.getbuffer.and_then(|s| s.impl_)?;
    let release = spec.releasebuffer.and_then(|s| s.impl_);
    Some(crate::buffer::BufferSlots { get, release, ctx })
}

/// Whether a sequence slot gives way to the mapping or number slot for the
/// same special method, as CPython's wrappers (`__getitem__`, `__mul__`,
/// ...) are those of the mapping or number slot when a type has both. The
/// repeat and concat slots are still what the operators fall back to (see
/// [`set_sequence_slots`]).
fn shadowed(spec: &TypeSpec, slot: HPySlot_Slot) -> bool {
    let has = |s: HPySlot_Slot| spec.slots.iter().any(|x| x.slot == s);
    match slot {
        HPySlot_Slot::sq_item => has(HPySlot_Slot::mp_subscript),
        HPySlot_Slot::sq_ass_item => has(HPySlot_Slot::mp_ass_subscript),
        HPySlot_Slot::sq_length => has(HPySlot_Slot::mp_length),
        HPySlot_Slot::sq_repeat => has(HPySlot_Slot::nb_multiply),
        HPySlot_Slot::sq_inplace_repeat => has(HPySlot_Slot::nb_inplace_multiply),
        HPySlot_Slot::sq_concat => has(HPySlot_Slot::nb_add),
        HPySlot_Slot::sq_inplace_concat => has(HPySlot_Slot::nb_inplace_add),
        _ => false,
    }
}

fn is_vectorcalloffset(name: *const c_char) -> bool {
    // SAFETY: member names are NUL-terminated C strings of the extension.
    !name.is_null() && unsafe { CStr::from_ptr(name) }.to_bytes() == b"__vectorcalloffset__"
}

/// The struct size and the offset of the object's own call function, for a
/// type that defines one: an explicit `__vectorcalloffset__` member names
/// it, `HPy_tp_call` gets an aligned slot after the struct (as HPy does on
/// CPython), and the two together are refused as HPy refuses them.
fn call_layout(vm: &VirtualMachine, spec: &TypeSpec, size: usize) -> PyResult<(usize, Option<usize>)> {
    let explicit = spec.members.iter().find(|m| is_vectorcalloffset(m.name)).map(|m| m.offset.max(0) as usize);
    match (explicit, spec.call.is_some()) {
        (Some(_), true) => Err(vm.new_type_error(
            "Cannot have HPy_tp_call and explicit member '__vectorcalloffset__'. Specify just one of them.",
        )),
        (Some(offset), false) => Ok((size, Some(offset))),
        (None, true) => {
            let offset = size.next_multiple_of(core::mem::align_of::<HPyCallFunction>());
            Ok((offset + core::mem::size_of::<HPyCallFunction>(), Some(offset)))
        }
        (None, false) => Ok((size, None)),
    }
}

/// `__call__`: the call function stored in the object (by
/// `HPy_SetCallFunction`, or by the extension at an explicit offset), else
/// the type's `HPy_tp_call`.
fn add_call(vm: &VirtualMachine, class: &'static Py<PyType>, offset: usize, default: Option<&HPySlot>, ctx: Ctx) -> PyResult<()> {
    let default: Option<Impl> = default.and_then(|s| s.impl_);
    let d = native_method(vm, class, "__call__", None, move |vm, me, args| {
        let data = struct_of(vm, me)?.ok_or_else(|| vm.new_type_error("__call__: no native storage"))?;
        // SAFETY: the type's layout puts an HPyCallFunction at `offset` of
        // the struct, which is at least that large; it is zeroed until set.
        let own = unsafe { (*data.cast::<u8>().add(offset).cast::<HPyCallFunction>()).impl_ };
        // SAFETY: a call function has the type of an HPy_tp_call
        // implementation, which `Impl` only erases.
        let own: Option<Impl> = own.map(|f| unsafe { core::mem::transmute::<func_types::keywords, Impl>(f) });
        let imp = own.or(default).ok_or_else(|| vm.new_type_error(format!("'{}' object is not callable", me.class().name())))?;
        let mut handles: Vec<HPy> = args.args.iter().map(|a| lend(a)).collect();
        let mut names = Vec::new();
        for (k, v) in args.kwargs.iter() {
            names.push(vm.ctx.new_str(k.as_str()).into());
            handles.push(lend(v));
        }
        let kwnames: Option<PyObjectRef> = (!names.is_empty()).then(|| vm.ctx.new_tuple(names).into());
        let kw = kwnames.as_deref().map_or(HPy::NULL, lend);
        let nargs = args.args.len();
        // SAFETY: the receiver and arguments outlive the call; call
        // functions have the HPyCallFunction type, a keywords method's. They
        // run under the type's context (the one its extension was loaded
        // with), as HPy_tp_call does.
        let r = unsafe { ctx.call(HPyFunc_Signature::KEYWORDS, imp, |c, f: func_types::keywords| f(c, lend(me), handles.as_ptr(), nargs, kw)) };
        finish(vm, r, "__call__")
    });
    set_class_attr(vm, class, "__call__", d)
}

/// Stores `func` as the call function of `obj`, for `HPy_SetCallFunction`.
pub fn set_call_function(vm: &VirtualMachine, obj: &PyObject, func: &HPyCallFunction) -> PyResult<()> {
    let offset = info_of(obj.class()).and_then(|i| i.call_offset).ok_or_else(|| {
        vm.new_type_error(format!(
            "type '{}' does not implement the HPy call protocol",
            obj.class().name()
        ))
    })?;
    let data = struct_of(vm, obj)?.ok_or_else(|| vm.new_type_error("HPy_SetCallFunction: no native storage"))?;
    // SAFETY: `offset` is the type's `call_offset`, where its layout
    // (`call_layout`: after the struct, or the extension's explicit
    // `__vectorcalloffset__`) puts an HPyCallFunction inside the struct of
    // every instance; `data` is `obj`'s struct.
    unsafe { data.cast::<u8>().add(offset).cast::<HPyCallFunction>().write(*func) };
    Ok(())
}

