//! Members of HPy types (`HPyDef_MEMBER`): the C field at an offset of the
//! struct, read and written with the conversions, errors and truncation
//! warnings of CPython 3.11's `PyMember_GetOne`/`PyMember_SetOne`, which is
//! what the same extension's members do under CPython.

use crate::host::{h2o, o2h, take_handle};
use core::ffi::{c_char, c_long, c_ulong, CStr};
use lichen_abi::{HPy, HPyField, HPyMember_FieldType as T};
use rustpython_vm::builtins::{PyBool, PyInt, PyStr};
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyResult, VirtualMachine};

/// The `type.__module__ + "." + type.__name__` CPython's messages use.
fn type_name(vm: &VirtualMachine, obj: &PyObject) -> String {
    let class = obj.class();
    let module = class.as_object().get_attr("__module__", vm).ok().and_then(|m| m.downcast::<PyStr>().ok());
    match module {
        Some(m) if m.to_string() != "builtins" => format!("{m}.{}", class.name()),
        _ => class.name().to_string(),
    }
}

/// Reads the member of type `kind` at `p`.
///
/// # Safety
/// `p` must point to a field of type `kind` inside a live object's struct.
pub unsafe fn read(vm: &VirtualMachine, kind: T, p: *mut u8, owner: &PyObject, name: &str) -> PyResult {
    let int = |v: i128| -> PyResult { Ok(vm.ctx.new_int(v).into()) };
    // SAFETY: `p` points to a field of type `kind` inside a live object's
    // struct (this function's contract), so each arm reads only the bytes of
    // the C type `kind` names, at `p`; unaligned reads cope with any offset
    // the extension declared.
    unsafe {
        match kind {
            T::SHORT => int(p.cast::<i16>().read_unaligned().into()),
            T::INT => int(p.cast::<i32>().read_unaligned().into()),
            T::LONG => int(p.cast::<c_long>().read_unaligned().into()),
            T::LONGLONG => int(p.cast::<i64>().read_unaligned().into()),
            T::HPYSSIZET => int(p.cast::<isize>().read_unaligned() as i128),
            T::BYTE => int(p.cast::<i8>().read_unaligned().into()),
            T::UBYTE => int(p.read().into()),
            T::USHORT => int(p.cast::<u16>().read_unaligned().into()),
            T::UINT => int(p.cast::<u32>().read_unaligned().into()),
            T::ULONG => int(p.cast::<c_ulong>().read_unaligned().into()),
            T::ULONGLONG => int(p.cast::<u64>().read_unaligned().into()),
            T::FLOAT => Ok(vm.ctx.new_float(p.cast::<f32>().read_unaligned().into()).into()),
            T::DOUBLE => Ok(vm.ctx.new_float(p.cast::<f64>().read_unaligned()).into()),
            T::BOOL => Ok(vm.ctx.new_bool(p.read() != 0).into()),
            T::CHAR => utf8(vm, core::slice::from_raw_parts(p, 1)),
            T::NONE => Ok(vm.ctx.none()),
            T::STRING => match p.cast::<*const c_char>().read_unaligned() {
                s if s.is_null() => Ok(vm.ctx.none()),
                s => utf8(vm, CStr::from_ptr(s).to_bytes()),
            },
            T::STRING_INPLACE => utf8(vm, CStr::from_ptr(p.cast()).to_bytes()),
            T::OBJECT | T::OBJECT_EX => match p.cast::<HPyField>().read_unaligned() {
                f if !f.is_null() => Ok(h2o(HPy { _i: f._i }).to_owned()),
                _ if kind == T::OBJECT => Ok(vm.ctx.none()),
                _ => Err(vm.new_attribute_error(format!(
                    "'{}' object has no attribute '{name}'",
                    type_name(vm, owner)
                ))),
            },
            _ => Err(vm.new_system_error(format!("bad memberdescr type for {name}"))),
        }
    }
}

/// A str from UTF-8 bytes, with the `UnicodeDecodeError` Python gives for
/// bad ones.
fn utf8(vm: &VirtualMachine, bytes: &[u8]) -> PyResult {
    match core::str::from_utf8(bytes) {
        Ok(s) => Ok(vm.ctx.new_str(s).into()),
        Err(_) => vm.call_method(vm.ctx.new_bytes(bytes.to_vec()).as_object(), "decode", ("utf-8",)),
    }
}

/// `PyLong_AsLong`: an index value as a C long.
fn as_long(vm: &VirtualMachine, v: &PyObject) -> PyResult<i64> {
    let i = v.try_index(vm)?;
    i.try_to_primitive::<i64>(vm)
        .map_err(|_| vm.new_overflow_error("Python int too large to convert to C long"))
}

/// `PyLong_AsUnsignedLong`, falling back to `PyLong_AsLong` as CPython's
/// unsigned members do; the flag says the fallback was taken (CPython
/// then warns of a negative value).
fn as_unsigned_long(vm: &VirtualMachine, v: &PyObject) -> PyResult<(u64, bool)> {
    if let Some(u) = v.downcast_ref::<PyInt>().and_then(|i| i.try_to_primitive::<u64>(vm).ok()) {
        return Ok((u, false));
    }
    Ok((as_long(vm, v)? as u64, true))
}

fn warn(vm: &VirtualMachine, message: &str) -> PyResult<()> {
    let category = vm.ctx.exceptions.runtime_warning.to_owned();
    rustpython_vm::warn::warn(vm.ctx.new_str(message).into(), Some(category), 1, None, vm)
}

/// Stores `v` truncated to a small integer type, warning (after the store,
/// as CPython does) when it did not fit.
///
/// # Safety
/// `p` must point to a writable field of type `I`.
unsafe fn store_truncated<I: TryFrom<i64>>(vm: &VirtualMachine, p: *mut u8, v: &PyObject, what: &str, cast: fn(i64) -> I) -> PyResult<()> {
    let long = as_long(vm, v)?;
    // SAFETY: `p` points to a writable field of type `I` (this function's
    // contract), which an unaligned write of one `I` stays within.
    unsafe { p.cast::<I>().write_unaligned(cast(long)) };
    if I::try_from(long).is_err() {
        warn(vm, &format!("Truncation of value to {what}"))?;
    }
    Ok(())
}

/// Writes `value` into the member of type `kind` at `p`.
///
/// # Safety
/// As for [`read`], and the field must be writable.
pub unsafe fn write(vm: &VirtualMachine, kind: T, p: *mut u8, value: PyObjectRef, name: &str) -> PyResult<()> {
    let v = &*value;
    // SAFETY (every store below): `p` points to a writable field of type
    // `kind` inside a live object's struct (this function's contract), and
    // each arm writes the C type `kind` names: `store_truncated` with that
    // type as `I`, unaligned writes of it, `store_object` for the
    // `HPyField` of the object kinds.
    unsafe {
        match kind {
            T::BYTE => store_truncated::<i8>(vm, p, v, "char", |l| l as i8),
            T::UBYTE => store_truncated::<u8>(vm, p, v, "unsigned char", |l| l as u8),
            T::SHORT => store_truncated::<i16>(vm, p, v, "short", |l| l as i16),
            T::USHORT => store_truncated::<u16>(vm, p, v, "unsigned short", |l| l as u16),
            T::INT => store_truncated::<i32>(vm, p, v, "int", |l| l as i32),
            T::UINT => {
                let (u, negative) = as_unsigned_long(vm, v)?;
                p.cast::<u32>().write_unaligned(u as u32);
                if negative {
                    warn(vm, "Writing negative value into unsigned field")?;
                }
                if u > u64::from(u32::MAX) {
                    warn(vm, "Truncation of value to unsigned int")?;
                }
                Ok(())
            }
            T::LONG => {
                p.cast::<c_long>().write_unaligned(as_long(vm, v)? as c_long);
                Ok(())
            }
            T::ULONG => {
                let (u, negative) = as_unsigned_long(vm, v)?;
                p.cast::<c_ulong>().write_unaligned(u as c_ulong);
                if negative {
                    warn(vm, "Writing negative value into unsigned field")?;
                }
                Ok(())
            }
            T::LONGLONG => {
                let i = v.try_index(vm)?;
                let l = i.try_to_primitive::<i64>(vm).map_err(|_| vm.new_overflow_error("int too big to convert"))?;
                p.cast::<i64>().write_unaligned(l);
                Ok(())
            }
            T::ULONGLONG => {
                p.cast::<u64>().write_unaligned(unsigned_long_long(vm, v)?);
                Ok(())
            }
            T::HPYSSIZET => {
                let Some(i) = v.downcast_ref::<PyInt>() else {
                    return Err(vm.new_type_error("an integer is required"));
                };
                let n = i
                    .try_to_primitive::<isize>(vm)
                    .map_err(|_| vm.new_overflow_error("Python int too large to convert to C ssize_t"))?;
                p.cast::<isize>().write_unaligned(n);
                Ok(())
            }
            T::FLOAT => {
                p.cast::<f32>().write_unaligned(v.try_float(vm)?.to_f64() as f32);
                Ok(())
            }
            T::DOUBLE => {
                p.cast::<f64>().write_unaligned(v.try_float(vm)?.to_f64());
                Ok(())
            }
            T::BOOL => match v.downcast_ref::<PyBool>() {
                Some(_) => {
                    p.write(u8::from(v.is(&vm.ctx.true_value)));
                    Ok(())
                }
                None => Err(vm.new_type_error("attribute value type must be bool")),
            },
            T::CHAR => match v.downcast_ref::<PyStr>().map(|s| s.as_bytes()) {
                Some([c]) => {
                    p.write(*c);
                    Ok(())
                }
                _ => Err(vm.new_type_error("bad argument type for built-in operation")),
            },
            T::OBJECT | T::OBJECT_EX => {
                store_object(p, Some(value));
                Ok(())
            }
            T::STRING | T::STRING_INPLACE => Err(vm.new_type_error("readonly attribute")),
            _ => Err(vm.new_system_error(format!("bad memberdescr type for {name}"))),
        }
    }
}

/// `PyLong_AsUnsignedLongLong` for ints, `PyLong_AsLong` for other index
/// objects, as CPython's `T_ULONGLONG` members convert.
fn unsigned_long_long(vm: &VirtualMachine, v: &PyObject) -> PyResult<u64> {
    let Some(i) = v.downcast_ref::<PyInt>() else {
        return Ok(as_long(vm, v)? as u64);
    };
    if i.as_bigint().sign() == malachite_bigint::Sign::Minus {
        return Err(vm.new_overflow_error("can't convert negative int to unsigned"));
    }
    i.try_to_primitive::<u64>(vm).map_err(|_| vm.new_overflow_error("int too big to convert"))
}

/// Replaces the object a member field holds (None: empties it), releasing
/// the old one after the new one is in place.
///
/// # Safety
/// `p` must point to an `HPyField` of a live object's struct.
unsafe fn store_object(p: *mut u8, value: Option<PyObjectRef>) {
    // SAFETY: `p` points to an `HPyField` of a live object's struct (this
    // function's contract), so it may be borrowed mutably for the swap; a
    // non-empty field owns one reference, from `o2h`, which `take_handle`
    // takes back once, after the new value is in place.
    unsafe {
        let field = &mut *p.cast::<HPyField>();
        let new = value.map_or(HPyField::NULL, |v| HPyField { _i: o2h(v)._i });
        let old = core::mem::replace(field, new);
        if !old.is_null() {
            drop(take_handle(HPy { _i: old._i }));
        }
    }
}

/// `del obj.member`: empties object members (an empty `OBJECT_EX` one is an
/// `AttributeError`); other kinds cannot be deleted.
///
/// # Safety
/// As for [`read`].
pub unsafe fn delete(vm: &VirtualMachine, kind: T, p: *mut u8, name: &str) -> PyResult<()> {
    match kind {
        // SAFETY: for an object kind `p` points to the member's `HPyField`
        // inside a live object's struct (this function's contract, as
        // `read`'s), which this reads.
        T::OBJECT_EX if unsafe { p.cast::<HPyField>().read_unaligned() }.is_null() => {
            Err(vm.new_attribute_error(name.to_owned()))
        }
        T::OBJECT | T::OBJECT_EX => {
            // SAFETY: an object kind, so `p` points to an `HPyField` of a
            // live object's struct (this function's contract), as
            // `store_object` requires.
            unsafe { store_object(p, None) };
            Ok(())
        }
        _ => Err(vm.new_type_error("can't delete numeric/char attribute")),
    }
}
