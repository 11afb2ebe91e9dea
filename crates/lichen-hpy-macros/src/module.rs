//! The module: functions, classes, exceptions, globals, the exec slot and
//! the exported symbols.

use crate::callable::{cstr, doc_of, take_signature, type_name, Callable};
use crate::class::Class;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Error, Ident, Item, ItemMod, LitStr, Path, Result};

/// One definition the module or a class lists: the static's name.
pub type DefName = Ident;

pub struct Gen {
    /// Items added to the module.
    pub items: Vec<TokenStream>,
    counter: usize,
}

impl Gen {
    pub fn fresh(&mut self, what: &str) -> Ident {
        self.counter += 1;
        format_ident!("__hpy_{}_{}", what, self.counter)
    }
}

/// A marker type implementing `sig::SIG::Sig` with `body`; returns the
/// marker. `body` sees the parameters as `signatures::param_ident` names
/// them (`__a0` the receiver, `__a1`, ..., `__args`, `__view`, ...).
pub fn sig_impl(g: &mut Gen, sig: &str, body: TokenStream) -> Ident {
    let marker = g.fresh("def");
    let sig_ident = format_ident!("{}", sig);
    let (params, ret) = crate::signatures::call_params(sig);
    g.items.push(quote! {
        #[allow(non_camel_case_types)]
        #[doc(hidden)]
        pub struct #marker;
        // SAFETY: the raw argument views are passed only to lichen-hpy's
        // readers, with the values this call received.
        unsafe impl ::lichen_hpy::__private::sig::#sig_ident::Sig for #marker {
            #[allow(unused_variables, unused_mut, unreachable_code, clippy::needless_question_mark)]
            fn call<'py>(py: ::lichen_hpy::Python<'py>, #params) -> ::lichen_hpy::PyResult<#ret> {
                #body
            }
        }
    });
    marker
}

/// `sig::S::Of<M>`, the definition of marker `M` for signature `S`.
pub fn of(sig: &str, marker: &Ident) -> TokenStream {
    let s = format_ident!("{}", sig);
    quote! { ::lichen_hpy::__private::sig::#s::Of<#marker> }
}

/// The trampoline pointer of `sig` for definition `def`.
pub fn tramp(sig: &str, def: &TokenStream) -> TokenStream {
    let s = format_ident!("{}", sig);
    quote! { ::lichen_hpy::__private::tramp::#s::ptr::<#def>() }
}

/// A `static NAME: StaticDef = init;`, returning NAME.
pub fn static_def(g: &mut Gen, init: TokenStream) -> DefName {
    let name = g.fresh("DEF");
    g.items.push(quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #name: ::lichen_hpy::__private::StaticDef = #init;
    });
    name
}

/// `HPyDef_METH` for marker `M` of signature `sig`.
pub fn meth_def(g: &mut Gen, sig: &str, marker: &Ident, py_name: &str, doc: TokenStream) -> DefName {
    let def = of(sig, marker);
    let t = tramp(sig, &def);
    let name = cstr(py_name);
    static_def(g, quote! { ::lichen_hpy::__private::StaticDef::meth::<#def>(#name, #doc, #t) })
}

/// `HPyDef_SLOT`.
pub fn slot_def(g: &mut Gen, sig: &str, marker: &Ident, slot: &str) -> DefName {
    let def = of(sig, marker);
    let t = tramp(sig, &def);
    let slot = format_ident!("{}", slot);
    static_def(g, quote! { ::lichen_hpy::__private::StaticDef::slot::<#def>(::lichen_hpy::__private::HPySlot_Slot::#slot, #t) })
}

/// A NULL-terminated list of definitions; returns the expression of its
/// pointer. `last`, when given, is a `*mut HPyDef` expression placed after
/// `defs`: a NULL there ends the list one entry early.
pub fn def_list(g: &mut Gen, defs: &[DefName], last: Option<TokenStream>) -> TokenStream {
    let name = g.fresh("DEFINES");
    let n = defs.len() + 1 + usize::from(last.is_some());
    let last = last.into_iter();
    g.items.push(quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #name: ::lichen_hpy::__private::PtrList<::lichen_hpy::__private::HPyDef, #n> =
            ::lichen_hpy::__private::PtrList([#(::lichen_hpy::__private::def_ptr(&#defs),)* #(#last,)* ::core::ptr::null_mut()]);
    });
    quote! { #name.as_ptr() }
}

/// The body shared by functions and methods of the NOARGS / O / KEYWORDS
/// shapes: receiver, arguments, call, result. Returns (signature, body).
pub fn callable_body(c: &Callable, py_name: &str, path: TokenStream, class: Option<&syn::Type>) -> (&'static str, TokenStream) {
    let slf = if c.needs_instance() {
        quote! { let __slf = ::lichen_hpy::__private::receiver(__a0)?; }
    } else {
        quote! {}
    };
    let (borrow, recv) = match class {
        // a method of the class: the runtime's method descriptor checked
        // the receiver
        Some(t) => c.receiver_prelude_with(t, true),
        None => (quote! {}, None),
    };
    let call = c.call(path, recv);
    let finish = quote! { ::lichen_hpy::IntoPyResult::into_py_result(#call, py) };
    if c.is_noargs() {
        let bind = c.bind_single(quote! { unreachable!() });
        return ("NOARGS", quote! { #slf #borrow #bind #finish });
    }
    if c.is_o() {
        let bind = c.bind_single(quote! { ::lichen_hpy::__private::required_obj(__a1)? });
        return ("O", quote! { #slf #borrow #bind #finish });
    }
    let parse = c.parse(py_name, false);
    let bind = c.bind_from_parsed();
    ("KEYWORDS", quote! { #parse #slf #borrow #bind #finish })
}

/// Removes the attribute named `name` from `attrs`, returning it.
pub fn take_attr(attrs: &mut Vec<Attribute>, name: &str) -> Option<Attribute> {
    let i = attrs.iter().position(|a| a.path().is_ident(name))?;
    Some(attrs.remove(i))
}

/// `name = "..."` inside an attribute's parentheses.
pub fn name_option(attr: &Attribute) -> Result<Option<String>> {
    let mut name = None;
    if matches!(attr.meta, syn::Meta::List(_)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("expected `name = \"...\"`"))
            }
        })?;
    }
    Ok(name)
}

struct Exception {
    ident: Ident,
    base: Path,
    doc: Option<String>,
    global: Ident,
}

fn module_options(attr: TokenStream) -> Result<Option<String>> {
    let mut name = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            name = Some(meta.value()?.parse::<LitStr>()?.value());
            Ok(())
        } else {
            Err(meta.error("expected `name = \"package.module\"`"))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(name)
}

// The `if` inside `Item::Impl` cannot become a match guard: it takes the
// attribute out, which a guard may not (it borrows immutably).
#[allow(clippy::collapsible_match)]
pub fn expand(attr: TokenStream, item: TokenStream) -> Result<TokenStream> {
    let full_name = module_options(attr)?;
    let mut m: ItemMod = syn::parse2(item)?;
    let full_name = full_name.unwrap_or_else(|| m.ident.to_string());
    let short = full_name.rsplit('.').next().unwrap_or(&full_name).to_string();
    let Some((brace, mut items)) = m.content.take() else {
        return Err(Error::new_spanned(&m, "#[hpymodule] needs a module with a body: `mod name { ... }`"));
    };
    let mut g = Gen { items: Vec::new(), counter: 0 };
    let mut defs: Vec<DefName> = Vec::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut exceptions: Vec<Exception> = Vec::new();
    let mut globals: Vec<Ident> = Vec::new();
    let mut init: Option<(Ident, bool)> = None;

    for item in items.iter_mut() {
        match item {
            Item::Fn(f) => {
                if take_attr(&mut f.attrs, "pymodule_init").is_some() {
                    let takes_py = f.sig.inputs.iter().any(|a| matches!(a, syn::FnArg::Typed(t) if type_name(&t.ty).as_deref() == Some("Python")));
                    init = Some((f.sig.ident.clone(), takes_py));
                } else if let Some(a) = take_attr(&mut f.attrs, "pyfunction") {
                    let py_name = name_option(&a)?.unwrap_or_else(|| f.sig.ident.to_string());
                    let spec = take_signature(&mut f.attrs)?;
                    let c = Callable::new(&f.sig, spec)?;
                    if c.needs_instance() {
                        return Err(Error::new(c.span, "a module function has no `self`"));
                    }
                    let ident = &f.sig.ident;
                    let (sig, body) = callable_body(&c, &py_name, quote! { #ident }, None);
                    let marker = sig_impl(&mut g, sig, body);
                    defs.push(meth_def(&mut g, sig, &marker, &py_name, doc_of(&f.attrs)));
                }
            }
            Item::Struct(s) => {
                if let Some(a) = take_attr(&mut s.attrs, "pyclass") {
                    classes.push(Class::from_struct(a, s, &full_name)?);
                } else if let Some(a) = take_attr(&mut s.attrs, "pyexception") {
                    exceptions.push(exception(a, s, &mut g)?);
                }
            }
            Item::Impl(i) => {
                if take_attr(&mut i.attrs, "pymethods").is_some() {
                    let name = type_name(&i.self_ty).ok_or_else(|| Error::new_spanned(&i.self_ty, "expected a struct name"))?;
                    let Some(c) = classes.iter_mut().find(|c| c.ident == name) else {
                        return Err(Error::new_spanned(&i.self_ty, "#[pymethods] must follow its #[pyclass] struct in the module"));
                    };
                    c.add_methods(i)?;
                }
            }
            Item::Static(s) if type_name(&s.ty).as_deref() == Some("Global") => globals.push(s.ident.clone()),
            _ => {}
        }
    }

    let mut exec = TokenStream::new();
    for c in &classes {
        let spec = c.generate(&mut g)?;
        let ident = &c.ident;
        let attr = &c.py_name;
        globals.push(c.type_global.clone());
        exec.extend(quote! { ::lichen_hpy::__private::add_class::<#ident>(__m, &#spec, #attr)?; });
    }
    for e in &exceptions {
        let (global, ident, base) = (&e.global, &e.ident, &e.base);
        let name = ident.to_string();
        let doc = match &e.doc {
            Some(d) => quote! { Some(#d) },
            None => quote! { None },
        };
        globals.push(global.clone());
        exec.extend(quote! {
            ::lichen_hpy::__private::add_exception(__m, &#global, #name, <#base as ::lichen_hpy::PyExceptionType>::type_object(), #doc)?;
        });
    }
    if let Some((f, takes_py)) = &init {
        exec.extend(if *takes_py { quote! { #f(py, __m)?; } } else { quote! { #f(__m)?; } });
    }
    let exec_marker = sig_impl(
        &mut g,
        "INQUIRY",
        quote! {
            let __m = ::lichen_hpy::__private::required_obj(__a0)?;
            #exec
            Ok(0)
        },
    );
    defs.push(slot_def(&mut g, "INQUIRY", &exec_marker, "mod_exec"));

    let defines = def_list(&mut g, &defs, None);
    let nglobals = globals.len() + 1;
    let doc = doc_of(&m.attrs);
    let init_fn = format_ident!("HPyInit_{}", short);
    let ctx_fn = format_ident!("HPyInitGlobalContext_{}", short);
    let major = format_ident!("get_required_hpy_major_version_{}", short);
    let minor = format_ident!("get_required_hpy_minor_version_{}", short);
    g.items.push(quote! {
        #[doc(hidden)]
        static __HPY_GLOBALS: ::lichen_hpy::__private::PtrList<::lichen_hpy::__private::HPyGlobal, #nglobals> =
            ::lichen_hpy::__private::PtrList([#(::lichen_hpy::__private::global_ptr(&#globals),)* ::core::ptr::null_mut()]);
        #[doc(hidden)]
        static __HPY_MODULE: ::lichen_hpy::__private::ModuleDef =
            ::lichen_hpy::__private::ModuleDef::new(#doc, #defines, __HPY_GLOBALS.as_ptr());

        /// The module definition the runtime builds the module from.
        #[no_mangle]
        pub extern "C" fn #init_fn() -> *mut ::lichen_hpy::__private::HPyModuleDef {
            __HPY_MODULE.as_ptr()
        }

        /// The context the trampolines use.
        ///
        /// # Safety
        /// Called by the runtime with the context it loads the module with,
        /// valid for as long as the extension is used.
        #[no_mangle]
        pub unsafe extern "C" fn #ctx_fn(ctx: *mut ::lichen_hpy::__private::HPyContext) {
            // SAFETY: `ctx` is the context the runtime loads this extension
            // with, valid while the extension is used (this function's
            // contract, as HPy's loader calls `HPyInitGlobalContext_<name>`),
            // which is exactly what `set_global_context` requires.
            unsafe { ::lichen_hpy::__private::set_global_context(ctx) }
        }

        #[no_mangle]
        pub extern "C" fn #major() -> u32 {
            ::lichen_hpy::__private::HPY_ABI_VERSION
        }

        #[no_mangle]
        pub extern "C" fn #minor() -> u32 {
            ::lichen_hpy::__private::HPY_ABI_VERSION_MINOR
        }
    });

    for ts in g.items {
        items.push(Item::Verbatim(ts));
    }
    m.content = Some((brace, items));
    Ok(quote! { #m })
}

/// `#[pyexception(base = PyValueError)] struct MyError;`
fn exception(attr: Attribute, s: &syn::ItemStruct, g: &mut Gen) -> Result<Exception> {
    if !matches!(s.fields, syn::Fields::Unit) {
        return Err(Error::new_spanned(s, "an exception is declared as a unit struct: `struct MyError;`"));
    }
    let mut base: Path = syn::parse_quote!(::lichen_hpy::exceptions::PyException);
    if matches!(attr.meta, syn::Meta::List(_)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("base") {
                base = meta.value()?.parse()?;
                Ok(())
            } else {
                Err(meta.error("expected `base = ExceptionType`"))
            }
        })?;
    }
    let global = g.fresh("EXC");
    let ident = s.ident.clone();
    g.items.push(quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #global: ::lichen_hpy::Global = ::lichen_hpy::Global::new();
        impl ::lichen_hpy::PyExceptionType for #ident {
            fn type_object() -> ::lichen_hpy::ExcType {
                ::lichen_hpy::ExcType::Custom(&#global)
            }
        }
        impl #ident {
            /// `Err(Self::new_err(msg))` raises this exception with `msg`.
            pub fn new_err(msg: impl Into<::std::borrow::Cow<'static, str>>) -> ::lichen_hpy::PyErr {
                <Self as ::lichen_hpy::PyExceptionType>::new_err(msg)
            }
        }
    });
    let doc = doc_of(&s.attrs);
    let doc = if doc.to_string() == "None" { None } else { Some(doc_text(&s.attrs)) };
    Ok(Exception { ident, base, doc, global })
}

fn doc_text(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
