//! Module and type definitions as Python reads them (the `lichen_*_def`
//! structs of lichen_pypy.h), and the native side of the types made from
//! them: what an instance's struct needs when its object dies.

use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::spec::ModuleSpec;
use lichen_core::spec::SpecError;
use lichen_core::type_spec::{is_vectorcalloffset, Bases, CallProtocol, TypeSpec};
use crate::lock::Locked;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

#[repr(C)]
pub struct Meth {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub impl_: *mut c_void,
    pub sig: c_int,
}

#[repr(C)]
pub struct Member {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub offset: isize,
    pub type_: c_int,
    pub readonly: c_int,
}

#[repr(C)]
pub struct GetSet {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub getter: *mut c_void,
    pub setter: *mut c_void,
    pub closure: *mut c_void,
}

#[repr(C)]
pub struct Slot {
    pub slot: c_int,
    pub sig: c_int,
    pub impl_: *mut c_void,
}

/// `struct lichen_type_def`.
#[repr(C)]
pub struct TypeDef {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub ctx: *mut c_void,
    pub basicsize: isize,
    pub itemsize: isize,
    pub flags: u64,
    pub shape: c_int,
    pub has_new: c_int,
    pub needs_finalizer: c_int,
    pub methods: *const Meth,
    pub nmethods: isize,
    pub members: *const Member,
    pub nmembers: isize,
    pub getsets: *const GetSet,
    pub ngetsets: isize,
    pub slots: *const Slot,
    pub nslots: isize,
    pub bases: *const isize,
    pub nbases: isize,
    pub bases_tuple: isize,
    pub metaclass: isize,
    pub call_impl: *mut c_void,
    pub getbuffer: *mut c_void,
    pub releasebuffer: *mut c_void,
    pub call_offset: isize,
    pub type_id: isize,
}

/// `struct lichen_module_def`.
#[repr(C)]
pub struct ModuleDef {
    pub name: *const c_char,
    pub doc: *const c_char,
    pub ctx: *mut c_void,
    pub methods: *const Meth,
    pub nmethods: isize,
    pub create: *mut c_void,
    pub execs: *const *mut c_void,
    pub nexecs: isize,
}

fn impl_ptr(f: HPyCFunction) -> *mut c_void {
    f.map_or(core::ptr::null_mut(), |f| f as *mut c_void)
}

pub fn meth(m: &HPyMeth) -> Meth {
    Meth { name: m.name, doc: m.doc, impl_: impl_ptr(m.impl_), sig: m.signature.0 }
}

type DestroyFn = lichen_abi::func_types::destroyfunc;

/// What an instance's struct needs when its object dies, per type: the
/// `HPy_tp_destroy` to run, with the same for the nearest base made from a
/// spec. (Its fields need nothing: they hold keys into the owner's dict,
/// which dies with it, or values that need no release.) Lives as long as
/// the process (types are few; their objects may outlive any bookkeeping).
pub struct TypeInfo {
    destroy: Option<DestroyFn>,
    base: *const TypeInfo,
    /// The classes made from specs in the type's MRO, itself included:
    /// `HPy_TypeCheck` against one of them needs no call into PyPy.
    ancestors: Vec<usize>,
    /// Whether the class adds no instance layout of its own (no
    /// `__slots__`), so that PyPy lets `__bases__` assignment move it into
    /// or out of other classes' MROs: `ancestors` cannot answer for it.
    transparent: bool,
}

/// Every `TypeInfo` made (they are never freed), to check the ones Python
/// passes. Used under the extension lock only.
static TYPE_INFOS: Locked<TypeInfos> = Locked::new(TypeInfos {
    all: HashSet::with_hasher(BuildHasherDefault::new()),
    recent: [0; RECENT],
});

const RECENT: usize = 64;

struct TypeInfos {
    all: HashSet<usize, BuildHasherDefault<crate::keyed::KeyHasher>>,
    /// Addresses found in `all`, by a few of their bits: every call with a
    /// receiver checks its class, and a hash look-up was half of receiving
    /// it. Nothing is ever removed: a `TypeInfo` is never freed.
    recent: [usize; RECENT],
}

/// Whether `info` is the address of a `TypeInfo`.
#[inline]
pub fn is_type_info(info: usize) -> bool {
    TYPE_INFOS.with(|t| {
        let at = (info >> 4) % RECENT;
        if info != 0 && t.recent[at] == info {
            return true;
        }
        let known = t.all.contains(&info);
        if known {
            t.recent[at] = info;
        }
        known
    })
}

/// Whether the class of `ancestor` is in the MRO of the class of `info`
/// (both checked with [`is_type_info`]); None where the MRO could have
/// changed since the class was made.
///
/// PyPy allows `__bases__` assignment only between bases of the same
/// instance layout, and every class made from a spec with storage beyond
/// its base's has a layout of its own (a slot): such a class is in an MRO
/// exactly when its layout is in the MRO's class's layout chain, which no
/// assignment changes. Only transparent classes can come and go.
pub fn is_ancestor(info: usize, ancestor: usize) -> Option<bool> {
    // SAFETY: both are leaked `TypeInfo`s (checked when they were
    // recorded), whose lineage is set before any object of their class
    // exists.
    let (info, target) = unsafe { (&*(info as *const TypeInfo), &*(ancestor as *const TypeInfo)) };
    (!target.transparent).then(|| info.ancestors.contains(&ancestor))
}

impl TypeInfo {
    fn chain(&self) -> impl Iterator<Item = &TypeInfo> {
        // SAFETY: `base` is NULL or a leaked `TypeInfo`, never freed.
        core::iter::successors(Some(self), |t| unsafe { t.base.as_ref() })
    }

    /// Whether objects of the type need work when they die (a finalizer,
    /// which PyPy's GC runs only in major collections: types without one
    /// can die young).
    pub fn needs_cleanup(&self) -> bool {
        self.chain().any(|t| t.destroy.is_some())
    }
}

/// Runs the destroy functions of a dying object's type and its bases, most
/// derived first (as CPython's deallocator of HPy types does); the memory
/// itself is Python's (a cffi buffer).
///
/// # Safety
/// `info` must come from [`new_type_info`]; `payload` the struct of an
/// object of that type that nothing will use again.
pub unsafe fn destroy_payload(info: &TypeInfo, payload: *mut c_void) {
    for t in info.chain() {
        // SAFETY: the caller's contract.
        unsafe { t.destroy_own(payload) };
    }
}

/// Runs the destroy functions of the classes `type_ids` (checked), in
/// order: the classes made from specs in a dying object's MRO as it is now,
/// when a `__bases__` assignment could have changed it since the class was
/// made (see `TypeInfo::transparent`).
///
/// # Safety
/// `payload` is the struct of an object whose class has those classes in
/// its MRO, which nothing will use again.
pub unsafe fn destroy_along(type_ids: &[isize], payload: *mut c_void) {
    for &t in type_ids {
        if is_type_info(t as usize) {
            // SAFETY: checked to be a leaked `TypeInfo`; the caller's
            // contract for the payload.
            unsafe { (*(t as *const TypeInfo)).destroy_own(payload) };
        }
    }
}

impl TypeInfo {
    /// # Safety
    /// `payload` is the struct of an object of this type (or a subtype)
    /// that nothing will use again, and this type's destroy has not run
    /// on it.
    unsafe fn destroy_own(&self, payload: *mut c_void) {
        if let Some(destroy) = self.destroy {
            // SAFETY: the type's destroy implementation, on its struct, once
            // (the caller's contract).
            unsafe { destroy(payload) };
        }
    }
}

fn new_type_info(spec: &TypeSpec) -> *const TypeInfo {
    // SAFETY: the spec reader accepted these slots, whose implementations
    // have the HPy function types of their slot numbers.
    let destroy = unsafe { spec.destroy.and_then(|s| core::mem::transmute::<HPyCFunction, Option<DestroyFn>>(s.impl_)) };
    let info = Box::into_raw(Box::new(TypeInfo { destroy, base: core::ptr::null(), ancestors: Vec::new(), transparent: false }));
    TYPE_INFOS.with(|t| t.all.insert(info as usize));
    info
}

/// Records the nearest base of a type that was made from a spec, the
/// types made from specs in its MRO (`ancestors`, checked), and whether it
/// is `transparent` (see [`TypeInfo`]).
///
/// # Safety
/// Both must come from [`new_type_info`] (`base` may be NULL), before any
/// object of the type exists.
pub unsafe fn set_lineage(info: *mut TypeInfo, base: *const TypeInfo, ancestors: &[isize], transparent: bool) {
    // SAFETY: `info` is a `TypeInfo` leaked by `new_type_info` (valid and
    // aligned for good), and no object of the type exists yet, so nothing
    // else reads it while it is written (this function's `# Safety`).
    let info = unsafe { &mut *info };
    info.base = base;
    info.transparent = transparent;
    info.ancestors = ancestors.iter().map(|&a| a as usize).filter(|&a| is_type_info(a)).collect();
}

/// The `TypeDef` of a checked spec, with the arrays it points into (which
/// must outlive its use).
pub struct TypeDefParts {
    pub def: TypeDef,
    _methods: Vec<Meth>,
    _members: Vec<Member>,
    _getsets: Vec<GetSet>,
    _slots: Vec<Slot>,
    _bases: Vec<isize>,
}

/// `call_offset` of a type def for each call protocol: -1 none, -2 after the
/// struct (Python adds the `HPyCallFunction` there), else the offset.
fn call_offset(protocol: CallProtocol) -> isize {
    match protocol {
        CallProtocol::None => -1,
        CallProtocol::AfterStruct => -2,
        CallProtocol::Explicit(offset) => offset as isize,
    }
}

pub fn type_def(spec: &TypeSpec, ctx: *mut HPyContext) -> Result<TypeDefParts, SpecError> {
    let protocol = spec.call_protocol()?;
    let methods: Vec<Meth> = spec.methods.iter().map(|m| meth(m)).collect();
    let members: Vec<Member> = spec
        .members
        .iter()
        .filter(|m| !is_vectorcalloffset(m))
        .map(|m| Member { name: m.name, doc: m.doc, offset: m.offset, type_: m.type_.0, readonly: m.readonly })
        .collect();
    let getsets: Vec<GetSet> = spec
        .getsets
        .iter()
        .map(|g| GetSet {
            name: g.name,
            doc: g.doc,
            getter: impl_ptr(g.getter_impl),
            setter: impl_ptr(g.setter_impl),
            closure: g.closure,
        })
        .collect();
    let slots: Vec<Slot> = spec
        .slots
        .iter()
        .map(|s| Slot { slot: s.slot.0, sig: s.slot.signature().map_or(0, |g| g.0), impl_: impl_ptr(s.impl_) })
        .collect();
    let (bases, bases_tuple) = match &spec.bases {
        Bases::Default => (Vec::new(), 0),
        Bases::List(list) => (list.iter().map(|h| h._i).collect(), 0),
        Bases::Tuple(t) => (Vec::new(), t._i),
    };
    let info = new_type_info(spec);
    // SAFETY: `info` was just made.
    let needs_finalizer = unsafe { &*info }.needs_cleanup();
    let def = TypeDef {
        name: spec.name.as_ptr(),
        doc: spec.doc,
        ctx: ctx.cast(),
        basicsize: spec.basicsize as isize,
        itemsize: spec.itemsize as isize,
        // c_ulong is u64 here, not everywhere
        #[allow(clippy::unnecessary_cast)]
        flags: spec.flags as u64,
        shape: spec.shape.0,
        has_new: spec.has_new as c_int,
        needs_finalizer: needs_finalizer as c_int,
        methods: methods.as_ptr(),
        nmethods: methods.len() as isize,
        members: members.as_ptr(),
        nmembers: members.len() as isize,
        getsets: getsets.as_ptr(),
        ngetsets: getsets.len() as isize,
        slots: slots.as_ptr(),
        nslots: slots.len() as isize,
        bases: bases.as_ptr(),
        nbases: bases.len() as isize,
        bases_tuple,
        metaclass: spec.metaclass.map_or(0, |h| h._i),
        call_impl: spec.call.map_or(core::ptr::null_mut(), |s| impl_ptr(s.impl_)),
        getbuffer: spec.getbuffer.map_or(core::ptr::null_mut(), |s| impl_ptr(s.impl_)),
        releasebuffer: spec.releasebuffer.map_or(core::ptr::null_mut(), |s| impl_ptr(s.impl_)),
        call_offset: call_offset(protocol),
        type_id: info as isize,
    };
    Ok(TypeDefParts { def, _methods: methods, _members: members, _getsets: getsets, _slots: slots, _bases: bases })
}

/// The `ModuleDef` of a checked module definition, with its arrays.
pub struct ModuleDefParts {
    pub def: ModuleDef,
    _methods: Vec<Meth>,
    _execs: Vec<*mut c_void>,
}

pub fn module_def(spec: &ModuleSpec, name: *const c_char, ctx: *mut HPyContext) -> ModuleDefParts {
    let methods: Vec<Meth> = spec.methods.iter().map(|m| meth(m)).collect();
    let execs: Vec<*mut c_void> = spec.execs.iter().map(|s| impl_ptr(s.impl_)).collect();
    let def = ModuleDef {
        name,
        doc: spec.doc,
        ctx: ctx.cast(),
        methods: methods.as_ptr(),
        nmethods: methods.len() as isize,
        create: spec.create.map_or(core::ptr::null_mut(), |s| impl_ptr(s.impl_)),
        execs: execs.as_ptr(),
        nexecs: execs.len() as isize,
    };
    ModuleDefParts { def, _methods: methods, _execs: execs }
}
