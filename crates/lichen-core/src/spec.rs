//! Reading the definitions an extension hands over (`HPyModuleDef`, and the
//! `HPyDef` arrays inside it) into checked, host-neutral descriptions.

use crate::host::ExcKind;
use core::ffi::{c_char, c_void, CStr};
use lichen_abi::*;

/// A definition the runtime refuses, with the exception to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub kind: ExcKind,
    pub message: String,
}

impl SpecError {
    pub fn new(kind: ExcKind, message: impl Into<String>) -> Self {
        SpecError { kind, message: message.into() }
    }
}

/// The entries of a NULL-terminated `HPyDef *[]` (empty for a NULL array).
///
/// # Safety
/// `defines` must be NULL or a NULL-terminated array of valid `HPyDef`
/// pointers that outlive `'a`.
pub unsafe fn defines<'a>(defines: *mut *mut HPyDef) -> Vec<&'a HPyDef> {
    // SAFETY: `defines`' contract: a non-NULL `defines` is a NULL-terminated
    // array of valid `HPyDef` pointers outliving `'a`, so each `*p` up to the
    // terminator is readable and each `&**p` valid for `'a`.
    unsafe {
        let mut out = Vec::new();
        if defines.is_null() {
            return out;
        }
        let mut p = defines;
        while !(*p).is_null() {
            out.push(&**p);
            p = p.add(1);
        }
        out
    }
}

/// A C string from an extension, for messages; `<NULL>` if absent.
///
/// # Safety
/// `s` must be NULL or NUL-terminated.
pub unsafe fn show(s: *const c_char) -> String {
    // SAFETY: `show`'s contract: a non-NULL `s` is NUL-terminated.
    unsafe {
        if s.is_null() {
            "<NULL>".to_string()
        } else {
            CStr::from_ptr(s).to_string_lossy().into_owned()
        }
    }
}

/// A module definition, checked.
pub struct ModuleSpec<'a> {
    pub doc: *const c_char,
    pub methods: Vec<&'a HPyMeth>,
    /// The `HPy_mod_create` slot, if any (then nothing else is defined).
    pub create: Option<&'a HPySlot>,
    /// The `HPy_mod_exec` slots, in order.
    pub execs: Vec<&'a HPySlot>,
    /// A NULL-terminated `PyMethodDef[]` of hybrid extensions, or NULL.
    pub legacy_methods: *mut c_void,
    pub globals: Vec<*mut HPyGlobal>,
}

const CREATE_ALONE: &str = "This is not allowed because a custom HPy_mod_create slot \
    cannot return a builtin module object and cannot use any other data defined in the \
    HPyModuleDef. Either do not define HPy_mod_create and let the runtime create the module \
    from the HPyModuleDef, or define nothing but the HPy_mod_create slot.";

/// Checks `def` the way HPy does and splits it into its parts.
///
/// # Safety
/// `def` must point to a valid `HPyModuleDef` whose arrays outlive `'a`.
pub unsafe fn module_spec<'a>(def: *const HPyModuleDef) -> Result<ModuleSpec<'a>, SpecError> {
    // SAFETY: `module_spec`'s contract: `def` points to a valid HPyModuleDef
    // whose arrays outlive `'a`: `defines` and the NULL-terminated `globals`
    // are read to their terminators; `show` gets a method's name, checked not
    // to be NULL, which HPy requires to be NUL-terminated; each `d.u` union is
    // read as the variant `d.kind` names.
    unsafe {
        let sys = |m: String| Err(SpecError::new(ExcKind::SystemError, m));
        let def = &*def;
        if def.size < 0 {
            return sys("HPy does not permit HPyModuleDef.size < 0".into());
        }
        if def.size > 0 {
            return sys("Module state is not supported yet in HPy, set HPyModuleDef.size = 0 \
                    if module state is not needed"
                .into());
        }
        let mut spec = ModuleSpec {
            doc: def.doc,
            methods: Vec::new(),
            create: None,
            execs: Vec::new(),
            legacy_methods: def.legacy_methods,
            globals: Vec::new(),
        };
        let mut other_than_create = false;
        for d in defines(def.defines) {
            match d.kind {
                HPyDef_Kind::Meth => {
                    let m = &d.u.meth;
                    // CPython ends a method table at the first NULL name and
                    // calls the trampoline blindly: refuse both instead.
                    if m.name.is_null() {
                        return sys("HPyDef_METH in HPyModuleDef.defines has a NULL name".into());
                    }
                    check_meth_signature(m)?;
                    if m.cpy_trampoline.is_none() {
                        return sys(format!(
                            "HPyDef_METH '{}' in HPyModuleDef.defines has a NULL cpy_trampoline",
                            show(m.name)
                        ));
                    }
                    spec.methods.push(m);
                    other_than_create = true;
                }
                HPyDef_Kind::Slot => match d.u.slot.slot {
                    HPySlot_Slot::mod_create => {
                        if spec.create.is_some() {
                            return sys("Multiple definitions of the HPy_mod_create slot in \
                                    HPyModuleDef.defines."
                                .into());
                        }
                        spec.create = Some(&d.u.slot);
                    }
                    HPySlot_Slot::mod_exec => {
                        spec.execs.push(&d.u.slot);
                        other_than_create = true;
                    }
                    other => {
                        return sys(format!(
                            "Unsupported slot in HPyModuleDef.defines (value: {}).",
                            other.0
                        ))
                    }
                },
                HPyDef_Kind::Member | HPyDef_Kind::GetSet => other_than_create = true,
                other => {
                    return sys(format!("Invalid HPyDef kind {} in HPyModuleDef.defines.", other.0))
                }
            }
        }
        if spec.create.is_some() {
            if other_than_create {
                return sys(format!(
                    "HPyModuleDef defines a HPy_mod_create slot and some other slots or methods. \
                 {CREATE_ALONE}"
                ));
            }
            if !def.legacy_methods.is_null() || !def.doc.is_null() || !def.globals.is_null() {
                return sys(format!(
                    "HPyModuleDef defines a HPy_mod_create slot and some of the other fields are \
                 not set to their default value. {CREATE_ALONE}"
                ));
            }
        }
        if !def.globals.is_null() {
            let mut p = def.globals;
            while !(*p).is_null() {
                spec.globals.push(*p);
                p = p.add(1);
            }
        }
        Ok(spec)
    }
}

/// Methods take one of the four calling conventions CPython has a
/// `PyMethodDef` flag for; the message is HPy's, which its tests compare.
pub fn check_meth_signature(m: &HPyMeth) -> Result<(), SpecError> {
    match m.signature {
        HPyFunc_Signature::VARARGS
        | HPyFunc_Signature::KEYWORDS
        | HPyFunc_Signature::NOARGS
        | HPyFunc_Signature::O => Ok(()),
        _ => Err(SpecError::new(ExcKind::ValueError, "Unsupported HPyMeth signature".to_string())),
    }
}
