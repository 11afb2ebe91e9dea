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

/// An argument: lent by the caller or owned (a value from a keyword dict).
enum Arg<'py> {
    Lent(ManuallyDrop<Obj<'py>>),
    Owned(Obj<'py>),
}

impl<'py> Arg<'py> {
    fn get(&self) -> &Obj<'py> {
        match self {
            Arg::Lent(o) => o,
            Arg::Owned(o) => o,
        }
    }
}

/// Where the bound arguments are kept: inline for the usual few
/// parameters (no allocation per call).
enum Slots<'py> {
    Inline([Option<Arg<'py>>; 8]),
    Heap(Vec<Option<Arg<'py>>>),
}

impl<'py> Slots<'py> {
    fn new(n: usize) -> Self {
        if n <= 8 {
            Slots::Inline([const { None }; 8])
        } else {
            Slots::Heap((0..n).map(|_| None).collect())
        }
    }
}

impl<'py> core::ops::Deref for Slots<'py> {
    type Target = [Option<Arg<'py>>];
    fn deref(&self) -> &Self::Target {
        match self {
            Slots::Inline(a) => a,
            Slots::Heap(v) => v,
        }
    }
}

impl core::ops::DerefMut for Slots<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Slots::Inline(a) => a,
            Slots::Heap(v) => v,
        }
    }
}

/// The arguments bound to the parameters.
pub struct Parsed<'py> {
    spec: &'static FnSpec,
    slots: Slots<'py>,
    varargs: Option<Obj<'py>>,
    varkw: Option<Obj<'py>>,
}

const ARGUMENTS_OFFSET: usize = 1 << (usize::BITS - 1);

impl<'py> Parsed<'py> {
    fn new(py: Python<'py>, spec: &'static FnSpec) -> PyResult<Self> {
        Ok(Parsed {
            spec,
            slots: Slots::new(spec.params.len()),
            varargs: None,
            varkw: if spec.varkw { Some(py.dict()?) } else { None },
        })
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
            // SAFETY: argument handles are live for the whole call.
            *slot = Some(Arg::Lent(unsafe { Obj::borrowed(py, h) }));
        }
        if self.spec.varargs {
            let rest: Vec<ManuallyDrop<Obj<'py>>> =
                // SAFETY: as above.
                args.iter().skip(n).map(|&h| unsafe { Obj::borrowed(py, h) }).collect();
            self.varargs = Some(py.tuple(&rest.iter().map(|o| &**o).collect::<Vec<_>>())?);
        }
        Ok(())
    }

    /// Binds one keyword argument.
    fn keyword(&mut self, name: &Obj<'py>, value: Arg<'py>) -> PyResult<()> {
        let key = str_bytes(name)?;
        let spec = self.spec;
        match spec.params.iter().position(|p| p.as_bytes() == key) {
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
                Some(d) => d.set_item(name, value.get()),
                None => Err(PyTypeError::new_err(format!(
                    "{}() got an unexpected keyword argument '{}'",
                    spec.name,
                    String::from_utf8_lossy(key)
                ))),
            },
        }
    }

    /// The argument bound to parameter `i`, if any.
    pub fn get(&self, i: usize) -> Option<&Obj<'py>> {
        self.slots[i].as_ref().map(Arg::get)
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

/// Binds a `HPyFunc_KEYWORDS` call's arguments.
///
/// # Safety
/// `args`, `nargsf` and `kwnames` must be those the call received.
pub unsafe fn parse_keywords<'py>(
    py: Python<'py>,
    spec: &'static FnSpec,
    args: RawArgs,
    nargsf: usize,
    kwnames: Option<&Obj<'py>>,
) -> PyResult<Parsed<'py>> {
    let nargs = nargsf & !ARGUMENTS_OFFSET;
    let nkw = match kwnames {
        Some(k) => k.len()?,
        None => 0,
    };
    let all: &[HPy] = if nargs + nkw == 0 {
        &[]
    } else {
        // SAFETY: the caller's contract: nargs positional then nkw keyword
        // values.
        unsafe { core::slice::from_raw_parts(args.0, nargs + nkw) }
    };
    let mut parsed = Parsed::new(py, spec)?;
    parsed.positional(py, &all[..nargs])?;
    if let Some(names) = kwnames {
        for (i, &h) in all[nargs..].iter().enumerate() {
            let name = names.get_item_i(i as isize)?;
            // SAFETY: argument handles are live for the whole call.
            parsed.keyword(&name, Arg::Lent(unsafe { Obj::borrowed(py, h) }))?;
        }
    }
    Ok(parsed)
}

/// Binds a `tp_new` / `tp_init` / VARARGS call's arguments (an array and
/// an optional keyword dict).
///
/// # Safety
/// `args` and `nargs` must be those the call received.
pub unsafe fn parse_tuple_dict<'py>(
    py: Python<'py>,
    spec: &'static FnSpec,
    args: RawArgs,
    nargs: isize,
    kw: Option<&Obj<'py>>,
) -> PyResult<Parsed<'py>> {
    let all: &[HPy] = if nargs <= 0 {
        &[]
    } else {
        // SAFETY: the caller's contract.
        unsafe { core::slice::from_raw_parts(args.0, nargs as usize) }
    };
    let mut parsed = Parsed::new(py, spec)?;
    parsed.positional(py, all)?;
    if let Some(kw) = kw {
        // SAFETY: live handle; Dict_Keys returns a new list.
        let keys = py.owned(unsafe { call!(py, ctx_Dict_Keys(kw.raw())) })?;
        for i in 0..keys.len()? {
            let key = keys.get_item_i(i as isize)?;
            let value = kw.get_item(&key)?;
            parsed.keyword(&key, Arg::Owned(value))?;
        }
    }
    Ok(parsed)
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
