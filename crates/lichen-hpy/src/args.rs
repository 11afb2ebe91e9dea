//! Binding the arguments of a call to a function's parameters, for the
//! `HPyFunc_KEYWORDS` (vectorcall) shape and the `tp_new`/`tp_init` shape
//! (an array and a keyword dict), with CPython's error messages.

use crate::err::PyResult;
use crate::exceptions::PyTypeError;
use crate::glue::RawArgs;
use crate::object::{call, Obj};
use crate::python::Python;
use crate::FromPy;
use core::mem::ManuallyDrop;
use lichen_abi::HPy;

/// A function's parameters: `params[..positional]` may be passed by
/// position or keyword, the rest by keyword only.
pub struct FnSpec {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub positional: usize,
    /// Leading parameters that may only be passed by position.
    pub positional_only: usize,
    pub varargs: bool,
    pub varkw: bool,
}

/// The arguments bound to a function's `N` parameters, kept inline (no
/// allocation per call). Built in place by the generated code:
/// `Parsed::new` then `bind`.
pub struct Parsed<'py, const N: usize> {
    spec: &'static FnSpec,
    /// Each parameter's argument, lent: by the caller, or by `owned`.
    slots: [Option<ManuallyDrop<Obj<'py>>>; N],
    /// Values taken from a keyword dict (the `tp_new`/`tp_init` shape),
    /// which the call does not lend: owned here for as long as `slots`
    /// lends them (empty, so free, in the vectorcall shape).
    owned: Vec<Obj<'py>>,
    varargs: Option<Obj<'py>>,
    varkw: Option<Obj<'py>>,
}

/// How a call passes its arguments after the positional ones (see
/// [`Parsed::bind`]).
#[derive(Clone, Copy)]
pub enum CallShape<'a, 'py> {
    /// `HPyFunc_KEYWORDS` (vectorcall): `nargsf` positional arguments (with
    /// the offset flag), then one value per name of the `kwnames` tuple.
    Keywords { nargsf: usize, kwnames: Option<&'a Obj<'py>> },
    /// `tp_new` / `tp_init` / VARARGS: `nargs` positional arguments and an
    /// optional keyword dict.
    TupleDict { nargs: isize, kw: Option<&'a Obj<'py>> },
}

const ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);

impl<'py, const N: usize> Parsed<'py, N> {
    /// Nothing bound yet. `N` is `spec.params.len()` (the macro passes
    /// both).
    #[inline(always)]
    pub fn new(spec: &'static FnSpec) -> Self {
        debug_assert_eq!(spec.params.len(), N);
        Parsed { spec, slots: [const { None }; N], owned: Vec::new(), varargs: None, varkw: None }
    }

    /// Binds the positional arguments.
    fn positional(&mut self, py: Python<'py>, args: &[HPy]) -> PyResult<()> {
        let n = self.spec.positional;
        if args.len() > n && !self.spec.varargs {
            return Err(PyTypeError::new_err(format!(
                "{}() takes {} positional argument{} but {} {} given",
                self.spec.name,
                n,
                if n == 1 { "" } else { "s" },
                args.len(),
                if args.len() == 1 { "was" } else { "were" }
            )));
        }
        for (slot, &h) in self.slots.iter_mut().zip(args.iter().take(n)) {
            // SAFETY: `args` is the call's own positional argument array
            // (`bind`, the only caller, passes the front of the array its
            // caller received), whose handles are live handles of `py`'s
            // context for the whole call and never closed here.
            *slot = Some(unsafe { Obj::borrowed(py, h) });
        }
        if self.spec.varargs {
            let rest: Vec<ManuallyDrop<Obj<'py>>> =
                // SAFETY: the positional arguments past the named ones, from
                // the same array: live for the whole call, which `rest`
                // does not outlive (the tuple made from it holds its own
                // references).
                args.iter().skip(n).map(|&h| unsafe { Obj::borrowed(py, h) }).collect();
            self.varargs = Some(py.tuple(&rest.iter().map(|o| &**o).collect::<Vec<_>>())?);
        }
        if self.spec.varkw {
            self.varkw = Some(py.dict()?);
        }
        Ok(())
    }

    /// Binds one keyword argument, `value` lent for the whole call.
    fn keyword(&mut self, name: &Obj<'py>, value: ManuallyDrop<Obj<'py>>) -> PyResult<()> {
        let key = str_bytes(name)?;
        let spec = self.spec;
        match spec.params.iter().position(|p| same_name(p.as_bytes(), key)) {
            Some(i) if i >= spec.positional_only => {
                if self.slots[i].is_some() {
                    return Err(PyTypeError::new_err(format!(
                        "{}() got multiple values for argument '{}'",
                        spec.name, spec.params[i]
                    )));
                }
                self.slots[i] = Some(value);
                Ok(())
            }
            _ => match &self.varkw {
                Some(d) => d.set_item(name, &*value),
                None => Err(PyTypeError::new_err(format!(
                    "{}() got an unexpected keyword argument '{}'",
                    spec.name,
                    String::from_utf8_lossy(key)
                ))),
            },
        }
    }

    /// Binds a call's arguments: the positional ones at the start of
    /// `args`, then the keyword ones in either of the call's shapes.
    ///
    /// # Safety
    /// `args` and the counts in `call` must be those the call received.
    #[inline]
    pub unsafe fn bind(&mut self, py: Python<'py>, args: RawArgs, call: CallShape<'_, 'py>) -> PyResult<()> {
        let (nargs, nkw) = match call {
            CallShape::Keywords { nargsf, kwnames } => {
                (nargsf & !ARGUMENTS_OFFSET, if let Some(k) = kwnames { k.len()? } else { 0 })
            }
            CallShape::TupleDict { nargs, .. } => (nargs.max(0) as usize, 0),
        };
        // SAFETY: the caller's contract: `args` holds the `nargs`
        // positional arguments, followed in the KEYWORDS shape by one value
        // per keyword name (`nkw`), live for the whole call.
        let all = unsafe { arg_slice(args, nargs + nkw) };
        self.positional(py, &all[..nargs])?;
        match call {
            CallShape::Keywords { kwnames: Some(names), .. } => {
                for (i, &h) in all[nargs..].iter().enumerate() {
                    let name = names.get_item_i(i as isize)?;
                    // SAFETY: argument handles are live for the whole call.
                    self.keyword(&name, unsafe { Obj::borrowed(py, h) })?;
                }
            }
            CallShape::TupleDict { kw: Some(kw), .. } => {
                // SAFETY: live handle; Dict_Keys returns a new list.
                let keys = py.owned(unsafe { call!(py, ctx_Dict_Keys(kw.raw())) })?;
                for i in 0..keys.len()? {
                    let key = keys.get_item_i(i as isize)?;
                    let value = kw.get_item(&key)?;
                    // SAFETY: `value` lives in `self.owned`, which is dropped
                    // after `self.slots` stops lending it (Parsed's field order
                    // does not matter: the lent copies are never closed).
                    let lent = unsafe { Obj::borrowed(py, value.raw()) };
                    self.owned.push(value);
                    self.keyword(&key, lent)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The argument bound to parameter `i`, if any.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Obj<'py>> {
        self.slots[i].as_deref()
    }

    /// Parameter `i`, which has no default.
    pub fn required(&self, i: usize) -> PyResult<&Obj<'py>> {
        self.get(i).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{}() missing required argument '{}' (pos {})",
                self.spec.name,
                self.spec.params[i],
                i + 1
            ))
        })
    }

    /// Parameter `i` converted, `None` when it was not passed.
    pub fn extract_opt<T: FromPy<'py>>(&self, i: usize) -> PyResult<Option<T>> {
        self.get(i).map(|o| o.extract()).transpose()
    }

    /// Parameter `i` converted, an error when it was not passed.
    pub fn extract<T: FromPy<'py>>(&self, i: usize) -> PyResult<T> {
        self.required(i)?.extract()
    }

    /// The `*args` tuple.
    pub fn varargs(&self) -> &Obj<'py> {
        self.varargs.as_ref().expect("the signature has *args")
    }

    /// The `**kwargs` dict.
    pub fn varkw(&self) -> &Obj<'py> {
        self.varkw.as_ref().expect("the signature has **kwargs")
    }
}

/// A call's argument array as a slice.
///
/// # Safety
/// `args` must point to `n` handles that stay live for the call.
#[inline(always)]
unsafe fn arg_slice<'a>(args: RawArgs, n: usize) -> &'a [HPy] {
    if n == 0 {
        &[]
    } else {
        // SAFETY: `n` > 0, so `args` points to `n` handles (this function's
        // contract), not NULL, which the slice covers exactly; they stay
        // live, and unmodified, for the call that `'a` does not outlive.
        unsafe { core::slice::from_raw_parts(args.0, n) }
    }
}

/// `a == b` for parameter names, which are short: a byte loop, without
/// the call to `bcmp` that slice equality makes.
#[inline(always)]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The UTF-8 bytes of a str, borrowed from the object (no copy).
fn str_bytes<'a>(s: &'a Obj<'_>) -> PyResult<&'a [u8]> {
    let py = s.py();
    let mut len: isize = 0;
    // SAFETY: live handle; for a str the buffer lives as long as the
    // object, which `s` keeps alive for 'a.
    let p = unsafe { call!(py, ctx_Unicode_AsUTF8AndSize(s.raw(), &mut len)) };
    if p.is_null() {
        return Err(crate::err::PyErr::fetch(py));
    }
    // SAFETY: HPy's contract: `len` bytes at `p`.
    Ok(unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len as usize) })
}

/// `slf` as an instance borrowed for a method, or the TypeError HPy gives
/// for a wrong receiver.
pub fn receiver<'a, 'py>(slf: Option<&'a Obj<'py>>) -> PyResult<&'a Obj<'py>> {
    slf.ok_or_else(|| PyTypeError::new_err("method called without an instance"))
}

/// A NULL argument where an object is required.
pub fn required_obj<'a, 'py>(o: Option<&'a Obj<'py>>) -> PyResult<&'a Obj<'py>> {
    o.ok_or_else(|| PyTypeError::new_err("missing argument"))
}
