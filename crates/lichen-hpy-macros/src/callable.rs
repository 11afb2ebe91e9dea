//! A Rust function or method seen as a Python callable: its receiver, its
//! parameters, how they are bound, and the generated calls.

use crate::sigspec::{SigItem, SigSpec};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Error, Expr, FnArg, Ident, Pat, Result, Signature, Type};

/// How a method receives its instance.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    None,
    Ref,
    Mut,
    /// `slf: PyRef<'_, '_, Self>`.
    SlfRef,
    /// `slf: PyRefMut<'_, '_, Self>`.
    SlfMut,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Bound from the call's arguments.
    Normal,
    /// `py: Python<'py>`: the call's token.
    Py,
    /// `slf: &Obj<'py>`: the instance's handle.
    SlfObj,
    Args,
    Kwargs,
}

pub struct Param {
    pub name: Ident,
    pub ty: Type,
    pub kind: ParamKind,
    pub default: Option<Expr>,
    pub keyword_only: bool,
}

pub struct Callable {
    pub rust_name: Ident,
    pub receiver: Receiver,
    pub params: Vec<Param>,
    pub positional_only: usize,
    pub explicit_signature: bool,
    pub span: Span,
}

/// The last path segment's name of a type (`Option`, `Obj`, `Python`).
pub fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => type_name(&r.elem),
        Type::Group(g) => type_name(&g.elem),
        _ => None,
    }
}

pub fn is_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(_))
}

/// `#[hpy(signature = (...))]` among `attrs`, removed from them.
pub fn take_signature(attrs: &mut Vec<Attribute>) -> Result<Option<SigSpec>> {
    let mut found = None;
    let mut err = None;
    attrs.retain(|a| {
        if !a.path().is_ident("hpy") && !a.path().is_ident("pyo3") {
            return true;
        }
        let r = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("signature") {
                found = Some(meta.value()?.parse::<SigSpec>()?);
                Ok(())
            } else {
                Err(meta.error("expected `signature = (...)`"))
            }
        });
        if let Err(e) = r {
            err = Some(e);
        }
        false
    });
    match err {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

impl Callable {
    pub fn new(sig: &Signature, spec: Option<SigSpec>) -> Result<Callable> {
        let mut receiver = Receiver::None;
        let mut params = Vec::new();
        for (i, arg) in sig.inputs.iter().enumerate() {
            match arg {
                FnArg::Receiver(r) => {
                    if r.reference.is_none() {
                        return Err(Error::new_spanned(r, "take `&self` or `&mut self`: the payload stays in the object"));
                    }
                    receiver = if r.mutability.is_some() { Receiver::Mut } else { Receiver::Ref };
                }
                FnArg::Typed(t) => {
                    let name = match &*t.pat {
                        Pat::Ident(p) => p.ident.clone(),
                        other => return Err(Error::new_spanned(other, "parameters must be plain names")),
                    };
                    let tn = type_name(&t.ty);
                    let kind = match tn.as_deref() {
                        Some("Python") => ParamKind::Py,
                        Some("PyRef") if i == 0 => {
                            receiver = Receiver::SlfRef;
                            continue;
                        }
                        Some("PyRefMut") if i == 0 => {
                            receiver = Receiver::SlfMut;
                            continue;
                        }
                        Some("Obj") if name == "slf" && is_ref(&t.ty) => ParamKind::SlfObj,
                        _ => ParamKind::Normal,
                    };
                    params.push(Param { name, ty: (*t.ty).clone(), kind, default: None, keyword_only: false });
                }
            }
        }
        let explicit_signature = spec.is_some();
        let mut c = Callable { rust_name: sig.ident.clone(), receiver, params, positional_only: 0, explicit_signature, span: sig.ident.span() };
        match spec {
            Some(spec) => c.apply_signature(spec)?,
            None => c.implicit_defaults(),
        }
        Ok(c)
    }

    /// Trailing `Option<T>` parameters default to `None`.
    fn implicit_defaults(&mut self) {
        for p in self.params.iter_mut().rev().filter(|p| p.kind == ParamKind::Normal) {
            if type_name(&p.ty).as_deref() != Some("Option") {
                break;
            }
            p.default = Some(syn::parse_quote!(None));
        }
    }

    fn apply_signature(&mut self, spec: SigSpec) -> Result<()> {
        let mut keyword_only = false;
        let mut seen = 0;
        for item in spec.items {
            let (name, kind, default) = match item {
                SigItem::Slash => {
                    self.positional_only = seen;
                    continue;
                }
                SigItem::Star => {
                    keyword_only = true;
                    continue;
                }
                SigItem::Param(n, d) => (n, ParamKind::Normal, d),
                SigItem::Args(n) => (n, ParamKind::Args, None),
                SigItem::Kwargs(n) => (n, ParamKind::Kwargs, None),
            };
            let Some(p) = self.params.iter_mut().find(|p| p.name == name) else {
                return Err(Error::new(name.span(), "no parameter of this name"));
            };
            p.kind = kind;
            p.default = default;
            p.keyword_only = keyword_only && kind == ParamKind::Normal;
            if kind == ParamKind::Args {
                keyword_only = true;
            }
            if kind == ParamKind::Normal {
                seen += 1;
            }
        }
        Ok(())
    }

    /// The parameters bound from arguments, in order.
    pub fn bound(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.kind == ParamKind::Normal)
    }

    /// NOARGS: nothing to bind.
    pub fn is_noargs(&self) -> bool {
        !self.explicit_signature && self.params.iter().all(|p| matches!(p.kind, ParamKind::Py | ParamKind::SlfObj))
    }

    /// O: one positional parameter without a default.
    pub fn is_o(&self) -> bool {
        !self.explicit_signature
            && self.params.iter().all(|p| matches!(p.kind, ParamKind::Py | ParamKind::SlfObj | ParamKind::Normal))
            && self.bound().count() == 1
            && self.bound().all(|p| p.default.is_none())
    }

    /// `static __SPEC: FnSpec` and `__parsed`, the call's arguments bound
    /// in place, for the KEYWORDS shape (`tuple_dict` false) or the
    /// tp_new / tp_init shape (true).
    pub fn parse(&self, py_name: &str, tuple_dict: bool) -> TokenStream {
        let spec = self.fn_spec(py_name);
        let n = self.bound().count();
        let shape = if tuple_dict {
            quote! { ::lichen_hpy::__private::CallShape::TupleDict { nargs: __nargs, kw: __kw } }
        } else {
            quote! { ::lichen_hpy::__private::CallShape::Keywords { nargsf: __nargsf, kwnames: __kwnames } }
        };
        quote! {
            #spec
            let mut __parsed = ::lichen_hpy::__private::Parsed::<'py, #n>::new(&__SPEC);
            // SAFETY: the arguments exactly as this call received them.
            unsafe { __parsed.bind(py, __args, #shape) }?;
        }
    }

    /// `static __SPEC: FnSpec` for binding arguments.
    fn fn_spec(&self, py_name: &str) -> TokenStream {
        let names: Vec<String> = self.bound().map(|p| p.name.to_string()).collect();
        let positional = self.bound().filter(|p| !p.keyword_only).count();
        let positional_only = self.positional_only;
        let varargs = self.params.iter().any(|p| p.kind == ParamKind::Args);
        let varkw = self.params.iter().any(|p| p.kind == ParamKind::Kwargs);
        quote! {
            static __SPEC: ::lichen_hpy::__private::FnSpec = ::lichen_hpy::__private::FnSpec {
                name: #py_name,
                params: &[#(#names),*],
                positional: #positional,
                positional_only: #positional_only,
                varargs: #varargs,
                varkw: #varkw,
            };
        }
    }

    /// `let __aN = ...;` for every parameter, from `__parsed` (a `Parsed`).
    pub fn bind_from_parsed(&self) -> TokenStream {
        let mut out = TokenStream::new();
        let mut index = 0usize;
        for (n, p) in self.params.iter().enumerate() {
            let var = format_ident!("__a{}", n);
            let expr = match p.kind {
                ParamKind::Py => quote! { py },
                ParamKind::SlfObj => quote! { __slf },
                ParamKind::Args => convert_obj(&p.ty, quote! { __parsed.varargs() }),
                ParamKind::Kwargs => convert_obj(&p.ty, quote! { __parsed.varkw() }),
                ParamKind::Normal => {
                    let i = index;
                    index += 1;
                    match (&p.default, is_ref(&p.ty)) {
                        (None, true) => quote! { __parsed.required(#i)? },
                        (None, false) => quote! { ::lichen_hpy::FromPy::from_py(__parsed.required(#i)?)? },
                        (Some(d), false) => quote! {
                            match __parsed.get(#i) {
                                Some(__o) => ::lichen_hpy::FromPy::from_py(__o)?,
                                None => #d,
                            }
                        },
                        (Some(_), true) => quote! { __parsed.get(#i) },
                    }
                }
            };
            out.extend(quote! { let #var = #expr; });
        }
        out
    }

    /// `let __aN = ...;` when the one bound parameter is `__arg` (O shape,
    /// slot operands) and nothing else is bound.
    pub fn bind_single(&self, arg: TokenStream) -> TokenStream {
        let mut out = TokenStream::new();
        for (n, p) in self.params.iter().enumerate() {
            let var = format_ident!("__a{}", n);
            let expr = match p.kind {
                ParamKind::Py => quote! { py },
                ParamKind::SlfObj => quote! { __slf },
                _ => convert_obj(&p.ty, arg.clone()),
            };
            out.extend(quote! { let #var = #expr; });
        }
        out
    }

    /// `let __aN = ...;` for slot methods whose operands are given in order
    /// (`args[i]` for the i-th bound parameter).
    pub fn bind_operands(&self, args: &[TokenStream]) -> Result<TokenStream> {
        let mut out = TokenStream::new();
        let mut it = args.iter();
        for (n, p) in self.params.iter().enumerate() {
            let var = format_ident!("__a{}", n);
            let expr = match p.kind {
                ParamKind::Py => quote! { py },
                ParamKind::SlfObj => quote! { __slf },
                _ => match it.next() {
                    Some(a) => a.clone(),
                    None => return Err(Error::new(self.span, "too many parameters for this special method")),
                },
            };
            out.extend(quote! { let #var = #expr; });
        }
        Ok(out)
    }

    /// The receiver's borrow (`__this`) from `__slf`, and the argument
    /// that passes it.
    pub fn receiver_prelude(&self, class: &Type) -> (TokenStream, Option<TokenStream>) {
        self.receiver_prelude_with(class, false)
    }

    /// `receiver_prelude`; `checked` when `__slf` is known to be an
    /// instance of the class (the borrow then skips the type test): the
    /// code before it checked, or `__slf` is the receiver of a method or
    /// getset descriptor of the class, or the instance a one-sided slot of
    /// the class runs on, which the runtime guarantees (CPython's
    /// descriptors and slot wrappers check; HPy's C extensions rely on it
    /// too, reading `self` with `_AsStruct` unchecked; test_rustext.py
    /// asserts it on every runtime).
    pub fn receiver_prelude_with(&self, class: &Type, checked: bool) -> (TokenStream, Option<TokenStream>) {
        let (shared, exclusive) = if checked {
            (
                quote! {
                    // SAFETY: `__slf` is an instance (see receiver_prelude_with).
                    unsafe { ::lichen_hpy::PyRef::<#class>::borrow_instance(__slf) }?
                },
                quote! {
                    // SAFETY: `__slf` is an instance (see receiver_prelude_with).
                    unsafe { ::lichen_hpy::PyRefMut::<#class>::borrow_instance(__slf) }?
                },
            )
        } else {
            (quote! { ::lichen_hpy::PyRef::<#class>::borrow(__slf)? }, quote! { ::lichen_hpy::PyRefMut::<#class>::borrow_mut(__slf)? })
        };
        match self.receiver {
            Receiver::None => (quote! {}, None),
            Receiver::Ref | Receiver::SlfRef => (
                quote! { let __this = #shared; },
                Some(if self.receiver == Receiver::Ref { quote! { &*__this } } else { quote! { __this } }),
            ),
            Receiver::Mut | Receiver::SlfMut => (
                quote! { let mut __this = #exclusive; },
                Some(if self.receiver == Receiver::Mut { quote! { &mut *__this } } else { quote! { __this } }),
            ),
        }
    }

    /// The call of the Rust function: `path(receiver, __a0, __a1, ...)`.
    pub fn call(&self, path: TokenStream, receiver: Option<TokenStream>) -> TokenStream {
        let args = (0..self.params.len()).map(|n| format_ident!("__a{}", n));
        let recv = receiver.into_iter();
        quote! { #path(#(#recv,)* #(#args),*) }
    }

    pub fn needs_instance(&self) -> bool {
        self.receiver != Receiver::None || self.params.iter().any(|p| p.kind == ParamKind::SlfObj)
    }
}

/// Converts the `&Obj` expression `obj` for a parameter of type `ty`:
/// lent as is for `&Obj`, else through `FromPy`.
pub fn convert_obj(ty: &Type, obj: TokenStream) -> TokenStream {
    if is_ref(ty) {
        quote! { #obj }
    } else {
        quote! { ::lichen_hpy::FromPy::from_py(#obj)? }
    }
}

/// `c"name"` as a `&'static CStr` constant expression.
pub fn cstr(s: &str) -> TokenStream {
    let bytes = syn::LitByteStr::new(format!("{s}\0").as_bytes(), Span::call_site());
    quote! {
        match ::lichen_hpy::__private::CStr::from_bytes_with_nul(#bytes) {
            Ok(c) => c,
            Err(_) => panic!("a name with a NUL byte"),
        }
    }
}

/// `Some(c"doc")` from `///` comments, `None` without.
pub fn doc_of(attrs: &[Attribute]) -> TokenStream {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        quote! { None }
    } else {
        let c = cstr(&lines.join("\n"));
        quote! { Some(#c) }
    }
}
