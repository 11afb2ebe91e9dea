//! The HPyFunc signatures, read from lichen-abi's declaration
//! (`hpyfunc_signatures!`) at expansion time: each signature's parameters
//! and result, from which the macro writes the parameter list of
//! `sig::NAME::Sig::call`. Types written in the declaration (`[T]`) are not
//! spelled here: lichen-hpy exports each one as `sig::NAME::param::NAME`
//! (`sig::NAME::Ret` for a result).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A parameter or result kind of the declaration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// An object (`Option<&Obj>` as a parameter, `Obj` as a result).
    Obj,
    /// An argument array (`RawArgs`).
    Objs,
    /// A buffer (`RawBuffer`).
    Buf,
    /// A type the declaration writes out (`[T]`).
    Plain,
    /// No result (C `void`).
    None,
}

pub struct Signature {
    pub name: &'static str,
    /// The implementation takes the context (lichen-hpy generates
    /// `sig::NAME` only for those).
    pub ctx: bool,
    pub params: &'static [(&'static str, Kind)],
    pub ret: Kind,
}

macro_rules! kind {
    (obj) => { Kind::Obj };
    (objs) => { Kind::Objs };
    (buf) => { Kind::Buf };
    (none) => { Kind::None };
    ([$t:ty]) => { Kind::Plain };
}

macro_rules! is_ctx {
    (ctx) => { true };
    (noctx) => { false };
}

macro_rules! table {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident ($($p:ident : $k:tt),*) -> $r:tt, $block:tt;)*) => {
        /// Every signature, in `HPyFunc_Signature` order.
        pub static SIGNATURES: &[Signature] = &[$(
            Signature {
                name: stringify!($name),
                ctx: is_ctx!($ctx),
                params: &[$((stringify!($p), kind!($k))),*],
                ret: kind!($r),
            },
        )*];
    };
}

lichen_abi::hpyfunc_signatures!(table);

/// The identifier of a parameter in the generated `call`: HPy's generic
/// names (`self_`, `arg`, `argN`) are positional, `__aN` for the N-th
/// parameter (the receiver is `__a0` whatever the signature calls it);
/// the others keep their name: `__args`, `__nargs`, `__nargsf`,
/// `__kwnames`, `__kw`, `__view`, `__flags`.
pub fn param_ident(index: usize, name: &str) -> syn::Ident {
    let generic = name == "self_" || name == "arg" || name.strip_prefix("arg").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if generic {
        format_ident!("__a{}", index)
    } else {
        format_ident!("__{}", name)
    }
}

/// The safe parameter list and result type of `sig::NAME::Sig::call`, as
/// lichen-hpy's `sig_glue_named!` generates the trait from the same entry.
pub fn call_params(sig: &str) -> (TokenStream, TokenStream) {
    let s = SIGNATURES
        .iter()
        .find(|s| s.name == sig && s.ctx)
        .unwrap_or_else(|| unreachable!("signature {sig} has no sig::{sig}"));
    let sig_ident = format_ident!("{}", sig);
    let module = quote! { ::lichen_hpy::__private::sig::#sig_ident };
    let params = s.params.iter().enumerate().map(|(i, &(name, kind))| {
        let ident = param_ident(i, name);
        let ty = match kind {
            Kind::Obj => quote! { ::core::option::Option<&::lichen_hpy::Obj<'py>> },
            Kind::Objs => quote! { ::lichen_hpy::__private::RawArgs },
            Kind::Buf => quote! { ::lichen_hpy::__private::RawBuffer },
            Kind::Plain => {
                let alias = format_ident!("{}", name);
                quote! { #module::param::#alias }
            }
            Kind::None => unreachable!("`none` is no parameter kind"),
        };
        quote! { #ident: #ty }
    });
    let ret = match s.ret {
        Kind::Obj => quote! { ::lichen_hpy::Obj<'py> },
        Kind::None => quote! { () },
        Kind::Plain => quote! { #module::Ret },
        Kind::Objs | Kind::Buf => unreachable!("no result is an array or a buffer"),
    };
    (quote! { #(#params),* }, ret)
}
