//! CPython heap types from checked HPy type specs.
//!
//! What the runtime must remember about a type it built (the shape, the
//! traverse/destroy implementations, the default call trampoline) is a
//! [`TypeExtra`] that the type itself leads to; see [`crate::hpytype`] for
//! how Lichen's types are recognised without a registry.

use crate::host::error::exc_class;
use crate::hpytype::{head_size, shape_of};
use crate::hpytype::{chains_are_fixed, extra_of, mark, methods_with_extra, nearest_extra, seal, DestroyFn, TypeExtra};
use crate::module::method_def_list;
use core::ffi::{c_char, c_int, c_uint, c_void};
use core::mem::{size_of, transmute, MaybeUninit};
use core::ptr::null_mut;
use lichen_abi::*;
use lichen_core::host::{ExcKind, HPyFunc_traverseproc};
use lichen_core::type_spec::{align_storage, Bases, TypeSpec};
use pyo3::{ffi, Python};
use std::ffi::CString;

/// Raises `kind(message)`.
pub unsafe fn raise(kind: ExcKind, message: &str) {
    // SAFETY: the caller holds the GIL; `exc_class` gives a live exception
    // class and the message is a NUL-terminated CString alive for the call.
    unsafe {
        let msg = CString::new(message.replace('\0', "")).unwrap();
        ffi::PyErr_SetString(exc_class(kind), msg.as_ptr());
    }
}

// ---------------------------------------------------------------------------
// Functions installed in the types.

lichen_core::guarded_entry! { crate::host::raise_system_error;
unsafe extern "C" fn clear_field(field: *mut HPyField, _arg: *mut c_void) -> c_int {
    let old = (*field)._i as *mut ffi::PyObject;
    *field = HPyField::NULL;
    ffi::Py_XDECREF(old);
    0
}
}

/// How many destroy functions [`release_walking`] collects on its walk; a
/// deeper chain of HPy types with `HPy_tp_destroy` needs a second walk.
const DESTROYS: usize = 8;

/// Releases what the HPy types in the base chain of `obj`'s type own, in
/// HPy's order: first every `HPyField` their traverse implementations
/// report, most derived first, then (with `destroy`) their destroy
/// functions, in the same order. The hooks come from the nearest HPy
/// type's [`TypeExtra::chain`], or from a walk of the chain where a base
/// may have been replaced since (see [`crate::hpytype::chains_are_fixed`]).
#[inline(always)]
unsafe fn release(obj: *mut ffi::PyObject, destroy: bool) {
    // SAFETY: the caller (a deallocator or tp_clear of an HPy type) holds the
    // GIL and passes `obj`, a live object of a type Lichen built or a subclass:
    // its type chain is live types ending in NULL, the nearest `TypeExtra`'s
    // `head` locates the struct inside `obj`, and the traverse and destroy
    // implementations are the extension's functions of the HPy types those
    // signatures declare.
    unsafe {
        if !chains_are_fixed() {
            return release_walking(obj, destroy);
        }
        let Some(extra) = nearest_extra(ffi::Py_TYPE(obj)) else { return };
        let data: *mut c_void = (obj as *mut u8).offset(extra.head).cast();
        let chain = extra.chain();
        for traverse in chain.traverses.iter() {
            traverse(data, Some(clear_field), null_mut());
        }
        if destroy {
            for d in chain.destroys.iter() {
                d(data);
            }
        }
    }
}

/// [`release`] by a walk of the base chain as it is now.
#[cold]
#[inline(never)]
unsafe fn release_walking(obj: *mut ffi::PyObject, destroy: bool) {
    // SAFETY: as for `release`, whose caller's conditions hold here.
    unsafe {
        let mut data: *mut c_void = null_mut();
        // Only the first `found` entries are ever written and read.
        let mut destroys = [const { MaybeUninit::<DestroyFn>::uninit() }; DESTROYS];
        let mut found = 0;
        let mut tp = ffi::Py_TYPE(obj);
        while !tp.is_null() {
            if let Some(extra) = extra_of(tp) {
                if data.is_null() {
                    data = (obj as *mut u8).offset(extra.head).cast();
                }
                if let Some(traverse) = extra.traverse {
                    traverse(data, Some(clear_field), null_mut());
                }
                if let (true, Some(d)) = (destroy, extra.destroy) {
                    if found < DESTROYS {
                        destroys[found].write(d);
                    }
                    found += 1;
                }
            }
            tp = (*tp).tp_base;
        }
        for d in &destroys[..found.min(DESTROYS)] {
            // SAFETY: the first `found` entries were written above.
            (d.assume_init())(data);
        }
        if found > DESTROYS {
            destroy_beyond(obj, data, DESTROYS);
        }
    }
}

/// The destroy functions of the HPy bases of `obj`'s type after the first
/// `skip` ones (a second walk, for very deep hierarchies only).
#[cold]
unsafe fn destroy_beyond(obj: *mut ffi::PyObject, data: *mut c_void, mut skip: usize) {
    // SAFETY: as for `release`, whose caller's conditions hold here: `obj`'s
    // type chain is live and `data` is its struct.
    unsafe {
        let mut tp = ffi::Py_TYPE(obj);
        while !tp.is_null() {
            if let Some(d) = extra_of(tp).and_then(|e| e.destroy) {
                if skip == 0 {
                    d(data);
                } else {
                    skip -= 1;
                }
            }
            tp = (*tp).tp_base;
        }
    }
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
unsafe extern "C" fn hpy_clear(obj: *mut ffi::PyObject) -> c_int {
    release(obj, false);
    0
}
}

lichen_core::guarded_entry! { crate::host::report_unraisable;
/// The deallocator of types with `HPy_tp_traverse` or `HPy_tp_destroy`.
unsafe extern "C" fn hpy_dealloc(obj: *mut ffi::PyObject) {
    let tp = ffi::Py_TYPE(obj);
    if (*tp).tp_finalize.is_some() && ffi::PyObject_CallFinalizerFromDealloc(obj) < 0 {
        return; // resurrected
    }
    if ffi::PyType_IS_GC(tp) != 0 {
        ffi::PyObject_GC_UnTrack(obj.cast());
    }
    release(obj, true);
    match (*tp).tp_free {
        Some(free) => free(obj.cast()),
        None => ffi::PyObject_Free(obj.cast()),
    }
    ffi::Py_DECREF(tp.cast());
}
}

/// Stores `f` as the call implementation of `obj`.
unsafe fn set_vectorcall(tp: *mut ffi::PyTypeObject, obj: *mut ffi::PyObject, f: Option<ffi::vectorcallfunc>) {
    // SAFETY: the caller passes `tp`, the live type of the live object `obj`,
    // with `Py_TPFLAGS_HAVE_VECTORCALL` set, so a positive
    // `tp_vectorcall_offset` is where CPython reads a `vectorcallfunc` inside
    // `obj` (written unaligned, as the offset need not be aligned).
    unsafe {
        let offset = (*tp).tp_vectorcall_offset;
        if offset > 0 {
            let slot = (obj as *mut u8).offset(offset) as *mut Option<ffi::vectorcallfunc>;
            slot.write_unaligned(f);
        }
    }
}

/// Gives a new object of `tp` the default call implementation of `extra`,
/// the nearest HPy type of `tp`.
#[inline]
pub unsafe fn init_vectorcall(tp: *mut ffi::PyTypeObject, obj: *mut ffi::PyObject, extra: Option<&TypeExtra>) {
    // SAFETY: the caller passes `tp`, a live type, and `obj`, a new object of
    // that type: `PyType_HasFeature` reads the flags, and `set_vectorcall` gets
    // a type that has the vectorcall flag.
    unsafe {
        if ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_HAVE_VECTORCALL) != 0 {
            set_vectorcall(tp, obj, extra.and_then(|e| e.vectorcall));
        }
    }
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
/// `tp_new` of types with `HPy_tp_call` but no `HPy_tp_new`: the inherited
/// one, plus the default call implementation.
unsafe extern "C" fn hpy_object_new(
    tp: *mut ffi::PyTypeObject,
    args: *mut ffi::PyObject,
    kw: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let mut base = (*tp).tp_base;
    // Python subclasses inherit this function: skip to the first base whose
    // tp_new is something else.
    while !base.is_null() && (*base).tp_new.map(|f| f as usize) == Some(hpy_object_new as *const () as usize) {
        base = (*base).tp_base;
    }
    let new = match base.as_ref().and_then(|b| b.tp_new) {
        Some(new) => new,
        None => {
            raise(ExcKind::TypeError, "cannot create instances of this type");
            return null_mut();
        }
    };
    let obj = new(tp, args, kw);
    if !obj.is_null() {
        init_vectorcall(tp, obj, nearest_extra(tp));
    }
    obj
}
}

/// An `HPyMember_OBJECT`/`_OBJECT_EX` member, which holds an `HPyField`
/// and is served by a getset.
struct ObjectMember {
    name: *const c_char,
    offset: isize,
    ex: bool,
}

unsafe fn member_field(obj: *mut ffi::PyObject, closure: *mut c_void) -> (*mut HPyField, &'static ObjectMember) {
    // SAFETY: the caller (a member getset) passes `obj`, a live object of the
    // type, and `closure`, the `ObjectMember` leaked for that getset by
    // `members_and_getsets`, whose offset lies inside the object's struct.
    unsafe {
        let m = &*(closure as *const ObjectMember);
        ((obj as *mut u8).offset(m.offset) as *mut HPyField, m)
    }
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
unsafe extern "C" fn member_object_get(obj: *mut ffi::PyObject, closure: *mut c_void) -> *mut ffi::PyObject {
    let (field, m) = member_field(obj, closure);
    let value = (*field)._i as *mut ffi::PyObject;
    if !value.is_null() {
        ffi::Py_INCREF(value);
        return value;
    }
    if m.ex {
        ffi::PyErr_Format(
            ffi::PyExc_AttributeError,
            c"'%.50s' object has no attribute '%s'".as_ptr(),
            (*ffi::Py_TYPE(obj)).tp_name,
            m.name,
        );
        return null_mut();
    }
    let none = ffi::Py_None();
    ffi::Py_INCREF(none);
    none
}
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
unsafe extern "C" fn member_object_set(obj: *mut ffi::PyObject, value: *mut ffi::PyObject, closure: *mut c_void) -> c_int {
    let (field, m) = member_field(obj, closure);
    let old = (*field)._i as *mut ffi::PyObject;
    // Deleting an unset OBJECT_EX member fails, as CPython's T_OBJECT_EX does.
    if value.is_null() && old.is_null() && m.ex {
        ffi::PyErr_SetString(ffi::PyExc_AttributeError, m.name);
        return -1;
    }
    ffi::Py_XINCREF(value);
    *field = HPyField { _i: value as isize };
    ffi::Py_XDECREF(old);
    0
}
}

// ---------------------------------------------------------------------------
// Building the type.

/// The parts of a hybrid extension's `PyType_Slot[]`.
struct LegacySlots {
    slots: Vec<ffi::PyType_Slot>,
    methods: *mut c_void,
    members: *mut ffi::PyMemberDef,
    getsets: *mut ffi::PyGetSetDef,
}

unsafe fn legacy_slots(p: *mut c_void) -> LegacySlots {
    // SAFETY: the caller passes `p`, the spec's `legacy_slots`: NULL or a
    // `PyType_Slot` array ended by a zero slot (HPy's contract for
    // `legacy_slots`), read up to that end.
    unsafe {
        let mut out = LegacySlots { slots: Vec::new(), methods: null_mut(), members: null_mut(), getsets: null_mut() };
        let mut s = p as *const ffi::PyType_Slot;
        while !s.is_null() && (*s).slot != 0 {
            match (*s).slot {
                ffi::Py_tp_methods => out.methods = (*s).pfunc,
                ffi::Py_tp_members => out.members = (*s).pfunc.cast(),
                ffi::Py_tp_getset => out.getsets = (*s).pfunc.cast(),
                _ => out.slots.push(ffi::PyType_Slot { slot: (*s).slot, pfunc: (*s).pfunc }),
            }
            s = s.add(1);
        }
        out
    }
}

/// Entries of a `{NULL}`-terminated C array, by a "name is NULL" test.
unsafe fn c_entries<T: Copy>(p: *const T, is_end: impl Fn(&T) -> bool) -> Vec<T> {
    // SAFETY: the caller passes `p` NULL or an array whose last entry `is_end`
    // recognises (a legacy method, member or getset table), read up to that
    // entry.
    unsafe {
        let mut out = Vec::new();
        let mut q = p;
        while !q.is_null() && !is_end(&*q) {
            out.push(*q);
            q = q.add(1);
        }
        out
    }
}

fn leak<T>(v: Vec<T>) -> *mut T {
    Box::leak(v.into_boxed_slice()).as_mut_ptr()
}

fn is_vectorcalloffset(name: *const c_char) -> bool {
    // SAFETY: member names are NUL-terminated C strings.
    !name.is_null() && unsafe { core::ffi::CStr::from_ptr(name) }.to_bytes() == b"__vectorcalloffset__"
}

type Fail = (ExcKind, &'static str);

/// The members and getsets of the type. `vectorcall_offset` is the implicit
/// offset of `HPy_tp_call` (0 for none) on entry and the effective one on
/// exit.
unsafe fn members_and_getsets(
    spec: &TypeSpec,
    legacy: &LegacySlots,
    member_offset: isize,
    basicsize: isize,
    vectorcall_offset: &mut isize,
) -> Result<(*mut ffi::PyMemberDef, *mut ffi::PyGetSetDef), Fail> {
    // SAFETY: the caller passes a checked spec and its `legacy` tables (each
    // NULL or ended by a NULL name, read with `c_entries`); HPy's getset
    // trampolines have CPython's getter and setter types; all-zero
    // `PyMemberDef` and `PyGetSetDef` are the sentinels CPython expects.
    unsafe {
        let implicit = *vectorcall_offset > 0;
        let legacy_members = c_entries(legacy.members, |m| m.name.is_null());
        let total = spec.members.len() + legacy_members.len() + implicit as usize;
        if basicsize == 0 && total > 0 {
            return Err((ExcKind::TypeError, "Type claims to have basicsize==0 but defines members"));
        }
        let mut members = Vec::with_capacity(total + 1);
        let mut getsets: Vec<ffi::PyGetSetDef> = Vec::new();
        for g in &spec.getsets {
            getsets.push(ffi::PyGetSetDef {
                name: g.name,
                // SAFETY: HPy's getset trampolines have CPython's getter/setter types.
                get: transmute::<CpyFunction, Option<ffi::getter>>(g.getter_cpy_trampoline),
                set: transmute::<CpyFunction, Option<ffi::setter>>(g.setter_cpy_trampoline),
                doc: g.doc,
                closure: g.closure,
            });
        }
        getsets.extend(c_entries(legacy.getsets, |g| g.name.is_null()));
        if implicit {
            members.push(ffi::PyMemberDef {
                name: c"__vectorcalloffset__".as_ptr(),
                type_code: ffi::Py_T_PYSSIZET,
                offset: *vectorcall_offset,
                flags: ffi::Py_READONLY,
                doc: core::ptr::null(),
            });
        }
        let mut explicit = false;
        for m in &spec.members {
            let offset = m.offset + member_offset;
            if matches!(m.type_, HPyMember_FieldType::OBJECT | HPyMember_FieldType::OBJECT_EX) {
                let closure = Box::into_raw(Box::new(ObjectMember {
                    name: m.name,
                    offset,
                    ex: m.type_ == HPyMember_FieldType::OBJECT_EX,
                }));
                getsets.push(ffi::PyGetSetDef {
                    name: m.name,
                    get: Some(member_object_get),
                    set: if m.readonly != 0 { None } else { Some(member_object_set) },
                    doc: m.doc,
                    closure: closure.cast(),
                });
                continue;
            }
            members.push(ffi::PyMemberDef {
                name: m.name,
                type_code: m.type_.0,
                offset,
                flags: if m.readonly != 0 { ffi::Py_READONLY } else { 0 },
                doc: m.doc,
            });
            if is_vectorcalloffset(m.name) {
                explicit = true;
                *vectorcall_offset = offset;
            }
        }
        for m in legacy_members {
            if is_vectorcalloffset(m.name) {
                explicit = true;
                *vectorcall_offset = m.offset;
            }
            members.push(m);
        }
        if implicit && explicit {
            return Err((
                ExcKind::TypeError,
                "Cannot have HPy_tp_call and explicit member '__vectorcalloffset__'. \
             Specify just one of them.",
            ));
        }
        members.push(core::mem::zeroed());
        getsets.push(core::mem::zeroed());
        Ok((leak(members), leak(getsets)))
    }
}

fn slot(slot: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

fn trampoline_ptr(f: CpyFunction) -> *mut c_void {
    f.map_or(null_mut(), |f| f as *mut c_void)
}

/// A new, leaked extra block for `spec`: the implementations the runtime
/// calls itself.
unsafe fn extra_for(spec: &TypeSpec) -> *mut TypeExtra {
    // SAFETY: the caller passes a checked spec: each slot's `impl_` or
    // trampoline has the HPy or CPython function type its slot declares (see
    // the transmutes); the new block is ours alone until the type is marked.
    unsafe {
        let ptr = TypeExtra::new(spec.name, spec.shape);
        let extra = &mut *ptr;
        if let Some(s) = spec.traverse {
            // SAFETY: the tp_traverse implementation is an HPyFunc_traverseproc.
            extra.traverse = transmute::<HPyCFunction, Option<HPyFunc_traverseproc>>(s.impl_);
        }
        if let Some(d) = spec.destroy {
            // SAFETY: the tp_destroy implementation is an HPyFunc_destroyfunc.
            extra.destroy = transmute::<HPyCFunction, Option<DestroyFn>>(d.impl_);
        }
        if let Some(call) = spec.call {
            // SAFETY: the tp_call trampoline of HPy has CPython's vectorcallfunc type.
            extra.vectorcall = transmute::<CpyFunction, Option<ffi::vectorcallfunc>>(call.cpy_trampoline);
        }
        ptr
    }
}

/// The CPython spec for `spec`, whose type's extra block is `extra`.
unsafe fn cpython_spec(spec: &TypeSpec, extra: *const TypeExtra) -> Result<(ffi::PyType_Spec, Vec<ffi::PyType_Slot>), Fail> {
    // SAFETY: the caller holds the GIL and passes a checked spec whose legacy
    // tables are NULL or properly ended (`legacy_slots`, `method_def_list` and
    // `members_and_getsets`' conditions), with `extra` its leaked extra block.
    unsafe {
        let legacy = legacy_slots(spec.legacy_slots);
        if spec.needs_dealloc() && legacy.slots.iter().any(|s| s.slot == ffi::Py_tp_dealloc) {
            return Err((
                ExcKind::TypeError,
                "legacy tp_dealloc is incompatible with HPy_tp_traverse or HPy_tp_destroy.",
            ));
        }
        let head = head_size(spec.shape);
        let mut basicsize = if spec.basicsize != 0 { spec.basicsize as isize + head } else { 0 };
        let mut flags = spec.flags;
        let mut slots = Vec::new();
        for s in spec.slots.iter().chain(spec.getbuffer.iter()).chain(spec.releasebuffer.iter()) {
            slots.push(slot(s.slot.0, trampoline_ptr(s.cpy_trampoline)));
        }
        let mut vectorcall_offset = 0;
        if spec.call.is_some() {
            vectorcall_offset = align_storage(if basicsize == 0 { head } else { basicsize });
            if vectorcall_offset == 0 {
                return Err((
                    ExcKind::TypeError,
                    "Cannot use HPy call protocol with legacy types that inherit the struct. \
                 Either set the basicsize to a non-zero value or use legacy slot 'Py_tp_call'.",
                ));
            }
            basicsize = vectorcall_offset + size_of::<ffi::vectorcallfunc>() as isize;
        }
        let member_offset = if basicsize != 0 { head } else { 0 };
        if !spec.doc.is_null() {
            slots.push(slot(ffi::Py_tp_doc, spec.doc as *mut c_void));
        }
        slots.extend(legacy.slots.iter().map(|s| slot(s.slot, s.pfunc)));
        let methods = methods_with_extra(extra, method_def_list(&spec.methods, legacy.methods));
        slots.push(slot(ffi::Py_tp_methods, methods.cast()));
        let (members, getsets) =
            members_and_getsets(spec, &legacy, member_offset, basicsize, &mut vectorcall_offset)?;
        if vectorcall_offset > 0 {
            slots.push(slot(ffi::Py_tp_call, ffi::PyVectorcall_Call as *mut c_void));
            if !spec.has_new {
                slots.push(slot(ffi::Py_tp_new, hpy_object_new as *mut c_void));
            }
            flags |= ffi::Py_TPFLAGS_HAVE_VECTORCALL;
        }
        slots.push(slot(ffi::Py_tp_members, members.cast()));
        slots.push(slot(ffi::Py_tp_getset, getsets.cast()));
        if spec.needs_dealloc() {
            slots.push(slot(ffi::Py_tp_dealloc, hpy_dealloc as *mut c_void));
        }
        if spec.traverse.is_some() {
            slots.push(slot(ffi::Py_tp_clear, hpy_clear as *mut c_void));
        }
        slots.push(slot(0, null_mut()));
        let pyspec = ffi::PyType_Spec {
            name: (*extra).name_ptr(),
            basicsize: basicsize as c_int,
            itemsize: spec.itemsize,
            flags: flags as c_uint,
            slots: slots.as_mut_ptr(),
        };
        Ok((pyspec, slots))
    }
}

/// A new reference to the bases tuple, or NULL for "default".
unsafe fn bases_tuple(bases: &Bases) -> Result<*mut ffi::PyObject, ()> {
    // SAFETY: the caller holds the GIL; the bases are handles of the
    // extension's live objects (from its HPyType_SpecParam array), and each
    // reference taken is handed to the new tuple (`PyTuple_SetItem` steals it).
    unsafe {
        match bases {
            Bases::Default => Ok(null_mut()),
            Bases::Tuple(t) => {
                let t = t._i as *mut ffi::PyObject;
                ffi::Py_XINCREF(t);
                Ok(t)
            }
            Bases::List(list) => {
                let t = ffi::PyTuple_New(list.len() as isize);
                if t.is_null() {
                    return Err(());
                }
                for (i, b) in list.iter().enumerate() {
                    let b = b._i as *mut ffi::PyObject;
                    ffi::Py_XINCREF(b);
                    ffi::PyTuple_SetItem(t, i as isize, b);
                }
                Ok(t)
            }
        }
    }
}

/// The metaclass, NULL for "default"; Err with an exception set.
unsafe fn metaclass(meta: Option<HPy>) -> Result<*mut ffi::PyTypeObject, ()> {
    // SAFETY: the caller holds the GIL; `meta` is the handle of the extension's
    // metaclass parameter, a live object or NULL (checked), and the format's
    // `%R` gets a live object.
    unsafe {
        let Some(meta) = meta else { return Ok(null_mut()) };
        let meta = meta._i as *mut ffi::PyObject;
        if meta.is_null() || ffi::PyType_Check(meta) == 0 {
            ffi::PyErr_Format(
                ffi::PyExc_TypeError,
                c"Metaclass '%R' is not a subclass of 'type'.".as_ptr(),
                if meta.is_null() { ffi::Py_None() } else { meta },
            );
            return Err(());
        }
        Ok(meta.cast())
    }
}

/// A new CPython type for a checked HPy type spec; NULL with an error set.
pub unsafe fn type_from_spec(_py: Python<'_>, spec: &TypeSpec) -> *mut ffi::PyObject {
    // SAFETY: `_py` proves the GIL is held; the caller passes a spec checked
    // by the core, whose pointers live as long as the extension: the conditions
    // of `extra_for`, `cpython_spec`, `bases_tuple` and `metaclass`; `mark`
    // gets the type just built, not yet handed out.
    unsafe {
        let extra = extra_for(spec);
        let (mut pyspec, _slots) = match cpython_spec(spec, extra) {
            Ok(x) => x,
            Err((kind, msg)) => {
                raise(kind, msg);
                return null_mut();
            }
        };
        let Ok(bases) = bases_tuple(&spec.bases) else { return null_mut() };
        let meta = match metaclass(spec.metaclass) {
            Ok(m) => m,
            Err(()) => {
                ffi::Py_XDECREF(bases);
                return null_mut();
            }
        };
        let result = crate::version::type_from_metaclass(&mut pyspec, bases, meta);
        ffi::Py_XDECREF(bases);
        if result.is_null() {
            return null_mut();
        }
        let tp = result as *mut ffi::PyTypeObject;
        let base = (*tp).tp_base;
        if spec.shape == HPyType_BuiltinShape::Legacy
            && !base.is_null()
            && shape_of(base) != HPyType_BuiltinShape::Legacy
        {
            ffi::Py_DECREF(result);
            raise(ExcKind::TypeError, "A legacy type should not inherit its memory layout from a pure type");
            return null_mut();
        }
        seal(extra, tp);
        mark(tp);
        result
    }
}
