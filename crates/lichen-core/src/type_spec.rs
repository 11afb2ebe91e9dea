//! Reading and checking an `HPyType_Spec` with its `HPyType_SpecParam`s into
//! a host-neutral description, with the errors HPy raises for bad specs.

use crate::host::ExcKind;
use crate::spec::{defines, SpecError};
use core::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use lichen_abi::*;

/// Where the bases of a new type come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bases {
    /// None given: the VM's default base.
    Default,
    /// One or more `HPyType_SpecParam_Base` entries, in order.
    List(Vec<HPy>),
    /// An `HPyType_SpecParam_BasesTuple` entry (a tuple object).
    Tuple(HPy),
}

/// A type spec, checked and split by kind of definition.
pub struct TypeSpec<'a> {
    /// The dotted name, `module.Name`.
    pub name: &'a CStr,
    /// The size of the extension's struct (0: inherited).
    pub basicsize: c_int,
    pub itemsize: c_int,
    pub flags: c_ulong,
    pub shape: HPyType_BuiltinShape,
    /// A NULL-terminated `PyType_Slot[]` of a hybrid extension, or NULL.
    pub legacy_slots: *mut c_void,
    pub doc: *const c_char,
    /// Slots that map to a slot of the VM's type, in order.
    pub slots: Vec<&'a HPySlot>,
    pub traverse: Option<&'a HPySlot>,
    pub destroy: Option<&'a HPySlot>,
    pub call: Option<&'a HPySlot>,
    pub getbuffer: Option<&'a HPySlot>,
    pub releasebuffer: Option<&'a HPySlot>,
    pub has_new: bool,
    pub methods: Vec<&'a HPyMeth>,
    pub members: Vec<&'a HPyMember>,
    pub getsets: Vec<&'a HPyGetSet>,
    pub bases: Bases,
    pub metaclass: Option<HPy>,
}

fn err<T>(kind: ExcKind, message: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError::new(kind, message))
}

/// Reads the NULL-kind-terminated parameter array (NULL for none).
unsafe fn read_params(
    params: *const HPyType_SpecParam,
    name: &CStr,
) -> Result<(Bases, Option<HPy>), SpecError> {
    // SAFETY: `read_params`' caller (`type_spec`) passes `params` NULL or a
    // valid parameter array ended by a zero kind (`type_spec`'s contract), read
    // up to that end.
    unsafe {
        let mut bases = Vec::new();
        let mut tuple = None;
        let mut metaclass = None;
        let mut p = params;
        while !p.is_null() && (*p).kind.0 != 0 {
            let param = &*p;
            match param.kind {
                HPyType_SpecParam_Kind::Base => bases.push(param.object),
                HPyType_SpecParam_Kind::BasesTuple => {
                    if tuple.is_some() {
                        return err(
                            ExcKind::TypeError,
                            "multiple specifications of HPyType_SpecParam_BasesTuple",
                        );
                    }
                    tuple = Some(param.object);
                }
                HPyType_SpecParam_Kind::Metaclass => {
                    if metaclass.is_some() {
                        return err(ExcKind::ValueError, "metaclass was specified multiple times");
                    }
                    metaclass = Some(param.object);
                }
                _ => {
                    return err(
                        ExcKind::TypeError,
                        format!(
                            "unknown HPyType_SpecParam specification for '{}'",
                            name.to_string_lossy()
                        ),
                    )
                }
            }
            p = p.add(1);
        }
        let bases = match (bases.is_empty(), tuple) {
            (false, Some(_)) => {
                return err(
                    ExcKind::TypeError,
                    "cannot specify both HPyType_SpecParam_Base and HPytype_SpecParam_BasesTuple",
                )
            }
            (true, Some(t)) => Bases::Tuple(t),
            (false, None) => Bases::List(bases),
            (true, None) => Bases::Default,
        };
        Ok((bases, metaclass))
    }
}

fn valid_shape(shape: HPyType_BuiltinShape) -> bool {
    (HPyType_BuiltinShape::Legacy.0..=HPyType_BuiltinShape::List.0).contains(&shape.0)
}

/// Checks `spec` and `params` the way HPy does and splits the spec.
///
/// # Safety
/// `spec` must point to a valid `HPyType_Spec` whose arrays and strings
/// outlive `'a`; `params` must be NULL or a valid parameter array.
pub unsafe fn type_spec<'a>(
    spec: *const HPyType_Spec,
    params: *const HPyType_SpecParam,
) -> Result<TypeSpec<'a>, SpecError> {
    // SAFETY: `type_spec`'s contract: `spec` points to a valid HPyType_Spec
    // whose arrays and strings outlive `'a`: its name (checked not NULL) is
    // NUL-terminated, `params` is NULL or valid for `read_params`, `defines` is
    // valid for `defines`, and each `d.u` is read as the variant `d.kind`
    // names.
    unsafe {
        let raw = &*spec;
        if raw.name.is_null() {
            return err(ExcKind::SystemError, "HPyType_Spec.name must not be NULL");
        }
        let name = CStr::from_ptr(raw.name);
        let (bases, metaclass) = read_params(params, name)?;
        let mut out = TypeSpec {
            name,
            basicsize: raw.basicsize,
            itemsize: raw.itemsize,
            flags: raw.flags,
            shape: raw.builtin_shape,
            legacy_slots: raw.legacy_slots,
            doc: raw.doc,
            slots: Vec::new(),
            traverse: None,
            destroy: None,
            call: None,
            getbuffer: None,
            releasebuffer: None,
            has_new: false,
            methods: Vec::new(),
            members: Vec::new(),
            getsets: Vec::new(),
            bases,
            metaclass,
        };
        if !raw.legacy_slots.is_null() && raw.builtin_shape != HPyType_BuiltinShape::Legacy {
            return err(
                ExcKind::TypeError,
                "cannot specify .legacy_slots without setting .builtin_shape=HPyType_BuiltinShape_Legacy",
            );
        }
        for d in defines(raw.defines) {
            match d.kind {
                HPyDef_Kind::Slot => out.add_slot(&d.u.slot)?,
                HPyDef_Kind::Meth => {
                    let m = &d.u.meth;
                    crate::spec::check_meth_signature(m)?;
                    out.methods.push(m);
                }
                HPyDef_Kind::Member => out.members.push(&d.u.member),
                HPyDef_Kind::GetSet => out.getsets.push(&d.u.getset),
                other => {
                    return err(
                        ExcKind::SystemError,
                        format!("Invalid HPyDef kind {} in HPyType_Spec.defines.", other.0),
                    )
                }
            }
        }
        if raw.flags & tpflags::HAVE_GC != 0 && out.traverse.is_none() {
            return err(
                ExcKind::ValueError,
                "You must provide an HPy_tp_traverse slot if you specify HPy_TPFLAGS_HAVE_GC",
            );
        }
        if !valid_shape(raw.builtin_shape) {
            return err(ExcKind::ValueError, format!("invalid shape: {}", raw.builtin_shape.0));
        }
        if out.call.is_some() && raw.itemsize != 0 {
            return err(ExcKind::TypeError, "Cannot use HPy call protocol with var objects");
        }
        Ok(out)
    }
}

impl<'a> TypeSpec<'a> {
    fn add_slot(&mut self, slot: &'a HPySlot) -> Result<(), SpecError> {
        match slot.slot {
            HPySlot_Slot::tp_destroy => self.destroy = Some(slot),
            HPySlot_Slot::tp_call => self.call = Some(slot),
            HPySlot_Slot::bf_getbuffer => self.getbuffer = Some(slot),
            HPySlot_Slot::bf_releasebuffer => self.releasebuffer = Some(slot),
            HPySlot_Slot::mod_create | HPySlot_Slot::mod_exec => {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "slot {} of type '{}' is only allowed in an HPyModuleDef",
                        slot.slot.0,
                        self.name.to_string_lossy()
                    ),
                )
            }
            s => {
                if s == HPySlot_Slot::tp_traverse {
                    self.traverse = Some(slot);
                }
                if s == HPySlot_Slot::tp_new {
                    self.has_new = true;
                }
                self.slots.push(slot);
            }
        }
        Ok(())
    }

    /// Whether instances need the runtime's deallocator, which runs the
    /// `HPy_tp_destroy` implementations and releases `HPyField`s.
    pub fn needs_dealloc(&self) -> bool {
        self.traverse.is_some() || self.destroy.is_some()
    }

    /// The name after the last dot.
    pub fn short_name(&self) -> &'a [u8] {
        let bytes = self.name.to_bytes();
        match bytes.iter().rposition(|&b| b == b'.') {
            Some(i) => &bytes[i + 1..],
            None => bytes,
        }
    }
}

/// Where the objects of a type keep their own call function (what
/// `HPy_SetCallFunction` stores, and `__call__` calls before the type's
/// `HPy_tp_call`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallProtocol {
    /// The type has no call protocol.
    None,
    /// At the offset of the struct its `__vectorcalloffset__` member names.
    Explicit(usize),
    /// In an `HPyCallFunction` the runtime adds after the struct, for a type
    /// with `HPy_tp_call` (as HPy does on CPython).
    AfterStruct,
}

impl TypeSpec<'_> {
    /// The call protocol of the type; HPy refuses an `HPy_tp_call` together
    /// with an explicit `__vectorcalloffset__`.
    pub fn call_protocol(&self) -> Result<CallProtocol, SpecError> {
        let explicit = self.members.iter().find(|m| is_vectorcalloffset(m)).map(|m| m.offset.max(0) as usize);
        match (explicit, self.call.is_some()) {
            (Some(_), true) => err(
                ExcKind::TypeError,
                "Cannot have HPy_tp_call and explicit member '__vectorcalloffset__'. Specify just one of them.",
            ),
            (Some(offset), false) => Ok(CallProtocol::Explicit(offset)),
            (None, true) => Ok(CallProtocol::AfterStruct),
            (None, false) => Ok(CallProtocol::None),
        }
    }
}

/// Whether a member is the `__vectorcalloffset__` that tells where a type's
/// objects keep their call function (it is no attribute of theirs).
pub fn is_vectorcalloffset(m: &HPyMember) -> bool {
    // SAFETY: member names are NUL-terminated strings of the extension.
    !m.name.is_null() && unsafe { CStr::from_ptr(m.name) }.to_bytes() == b"__vectorcalloffset__"
}

/// Rounds `size` up to the alignment the runtime gives native storage (the
/// largest alignment of a C scalar, as `max_align_t`).
pub fn align_storage(size: isize) -> isize {
    const ALIGN: isize = 16;
    (size + ALIGN - 1) & !(ALIGN - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_to_16() {
        assert_eq!(align_storage(0), 0);
        assert_eq!(align_storage(16), 16);
        assert_eq!(align_storage(17), 32);
        assert_eq!(align_storage(28), 32);
    }

    #[test]
    fn rejects_unknown_params() {
        let name = c"m.T";
        let mut spec = HPyType_Spec {
            name: name.as_ptr(),
            basicsize: 0,
            itemsize: 0,
            flags: tpflags::DEFAULT,
            builtin_shape: HPyType_BuiltinShape::Object,
            legacy_slots: core::ptr::null_mut(),
            defines: core::ptr::null_mut(),
            doc: core::ptr::null(),
        };
        let params = [
            HPyType_SpecParam { kind: HPyType_SpecParam_Kind(42), object: HPy::NULL },
            HPyType_SpecParam { kind: HPyType_SpecParam_Kind(0), object: HPy::NULL },
        ];
        // SAFETY: both point to valid, NULL-terminated data on the stack.
        let e = unsafe { type_spec(&spec, params.as_ptr()) }.err().unwrap();
        assert_eq!(e.message, "unknown HPyType_SpecParam specification for 'm.T'");
        spec.builtin_shape = HPyType_BuiltinShape(9);
        // SAFETY: `spec` is still the valid spec on the stack (only its shape
        // changed), with no defines or legacy slots; NULL params mean none.
        let e = unsafe { type_spec(&spec, core::ptr::null()) }.err().unwrap();
        assert_eq!(e.message, "invalid shape: 9");
    }
}
