//! Classes: `#[pyclass] struct` + `#[pymethods] impl`, with the special
//! methods mapped to HPy 0.9's slots through lichen-abi's slot table.

use crate::callable::{convert_obj, cstr, doc_of, take_signature, type_name, Callable, ParamKind};
use crate::module::{callable_body, def_list, meth_def, sig_impl, slot_def, static_def, take_attr, name_option, of, tramp, DefName, Gen};
use lichen_abi::HPySlot_Slot;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use std::collections::BTreeMap;
use syn::{Attribute, Error, Ident, ImplItem, ItemImpl, ItemStruct, Result, ReturnType, Type};

/// Special methods HPy 0.9 has no slot for, and what to do instead.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("__iter__", "HPy 0.9 has no tp_iter slot: name the method `iter` and, in #[pymodule_init], assign it: `m.getattr(\"Cls\")?.setattr(\"__iter__\", m.getattr(\"Cls\")?.getattr(\"iter\")?)`, and let it return an iterator (`py.builtin(\"iter\")?.call(&[&list])`)"),
    ("__next__", "HPy 0.9 has no tp_iternext slot: name the method `next` and assign it to `__next__` from #[pymodule_init] (see `__iter__`)"),
    ("__getattr__", "HPy 0.9 has no tp_getattro slot: use getters, or a method called from a Python subclass's __getattr__"),
    ("__getattribute__", "HPy 0.9 has no tp_getattro slot"),
    ("__setattr__", "HPy 0.9 has no tp_setattro slot: use setters"),
    ("__delattr__", "HPy 0.9 has no tp_setattro slot: use setters"),
    ("__get__", "HPy 0.9 has no tp_descr_get slot"),
    ("__set__", "HPy 0.9 has no tp_descr_set slot"),
    ("__delete__", "HPy 0.9 has no tp_descr_set slot"),
    ("__aiter__", "HPy 0.9 has no async slots"),
    ("__anext__", "HPy 0.9 has no async slots"),
    ("__await__", "HPy 0.9 has no async slots"),
    ("__traverse__", "tp_traverse is generated from the struct's `Field`s"),
    ("__clear__", "the runtime clears `Field`s itself"),
    ("__releasebuffer__", "`__getbuffer__` releases its views itself"),
];

struct Accessor {
    getter: Option<TokenStream>,
    setter: Option<TokenStream>,
    doc: TokenStream,
}

enum MethodKind {
    New,
    Getter(String),
    Setter(String),
    Plain(String),
    Special(String),
}

struct Method {
    kind: MethodKind,
    callable: Callable,
    doc: TokenStream,
    returns_unit: bool,
}

pub struct Class {
    pub ident: Ident,
    pub py_name: String,
    qualified: String,
    doc: TokenStream,
    subclass: bool,
    gc: bool,
    ty: Type,
    field_names: Vec<syn::Member>,
    accessors: BTreeMap<String, Accessor>,
    methods: Vec<Method>,
    pub type_global: Ident,
}

impl Class {
    pub fn from_struct(attr: Attribute, s: &mut ItemStruct, module: &str) -> Result<Class> {
        let mut py_name = s.ident.to_string();
        let (mut subclass, mut gc) = (false, false);
        if matches!(attr.meta, syn::Meta::List(_)) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    py_name = meta.value()?.parse::<syn::LitStr>()?.value();
                } else if meta.path.is_ident("subclass") {
                    subclass = true;
                } else if meta.path.is_ident("gc") {
                    gc = true;
                } else if meta.path.is_ident("extends") || meta.path.is_ident("dict") || meta.path.is_ident("weakref") || meta.path.is_ident("frozen") {
                    return Err(meta.error("HPy 0.9 cannot express this for a class with a Rust payload (see docs/rust-guide.md)"));
                } else {
                    return Err(meta.error("expected `name = \"...\"`, `subclass` or `gc`"));
                }
                Ok(())
            })?;
        }
        if !s.generics.params.is_empty() {
            return Err(Error::new_spanned(&s.generics, "a #[pyclass] cannot be generic"));
        }
        let ident = s.ident.clone();
        let ty: Type = syn::parse_quote!(#ident);
        let mut c = Class {
            type_global: format_ident!("__HPY_TYPE_{}", ident),
            qualified: format!("{module}.{py_name}"),
            ident,
            py_name,
            doc: doc_of(&s.attrs),
            subclass,
            gc,
            ty,
            field_names: Vec::new(),
            accessors: BTreeMap::new(),
            methods: Vec::new(),
        };
        for (i, f) in s.fields.iter_mut().enumerate() {
            let member: syn::Member = match &f.ident {
                Some(id) => syn::Member::Named(id.clone()),
                None => syn::Member::Unnamed(syn::Index { index: i as u32, span: Span::call_site() }),
            };
            if f.ty.to_token_stream().to_string().contains("Field") {
                c.gc = true;
            }
            c.field_accessors(f, &member)?;
            c.field_names.push(member);
        }
        Ok(c)
    }

    /// `#[hpy(get, set)]` on a struct field: a getter (a clone through
    /// `IntoPy`) and a setter (through `FromPy`), through the payload's
    /// borrow flag (an `HPyDef_MEMBER` would write into the payload behind
    /// Rust's back).
    fn field_accessors(&mut self, f: &mut syn::Field, member: &syn::Member) -> Result<()> {
        let (mut get, mut set) = (false, false);
        let mut err = None;
        f.attrs.retain(|a| {
            if !a.path().is_ident("hpy") && !a.path().is_ident("pyo3") {
                return true;
            }
            if let Err(e) = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("get") {
                    get = true;
                } else if meta.path.is_ident("set") {
                    set = true;
                } else {
                    return Err(meta.error("expected `get` or `set`"));
                }
                Ok(())
            }) {
                err = Some(e);
            }
            false
        });
        if let Some(e) = err {
            return Err(e);
        }
        let name = match member {
            syn::Member::Named(id) => id.to_string(),
            syn::Member::Unnamed(_) if get || set => return Err(Error::new_spanned(f, "tuple struct fields have no name to expose")),
            syn::Member::Unnamed(_) => return Ok(()),
        };
        let ty = &self.ty;
        let doc = doc_of(&f.attrs);
        let acc = self.accessors.entry(name).or_insert(Accessor { getter: None, setter: None, doc });
        if get {
            acc.getter = Some(quote! {
                let __slf = ::lichen_hpy::__private::receiver(__a0)?;
                let __this = ::lichen_hpy::PyRef::<#ty>::borrow(__slf)?;
                ::lichen_hpy::IntoPy::into_py(::core::clone::Clone::clone(&__this.#member), py)
            });
        }
        if set {
            acc.setter = Some(quote! {
                let __slf = ::lichen_hpy::__private::receiver(__a0)?;
                let __v = ::lichen_hpy::__private::required_obj(__a1)
                    .map_err(|_| ::lichen_hpy::exceptions::PyAttributeError::new_err("can't delete attribute"))?;
                let __v = ::lichen_hpy::FromPy::from_py(__v)?;
                let mut __this = ::lichen_hpy::PyRefMut::<#ty>::borrow_mut(__slf)?;
                __this.#member = __v;
                Ok(0)
            });
        }
        Ok(())
    }

    pub fn add_methods(&mut self, imp: &mut ItemImpl) -> Result<()> {
        for item in imp.items.iter_mut() {
            let ImplItem::Fn(f) = item else { continue };
            let doc = doc_of(&f.attrs);
            let is_new = take_attr(&mut f.attrs, "new").is_some();
            let getter = take_attr(&mut f.attrs, "getter");
            let setter = take_attr(&mut f.attrs, "setter");
            let spec = take_signature(&mut f.attrs)?;
            let name = f.sig.ident.to_string();
            let callable = Callable::new(&f.sig, spec)?;
            let kind = if is_new {
                MethodKind::New
            } else if let Some(a) = getter {
                MethodKind::Getter(name_option(&a)?.unwrap_or_else(|| name.trim_start_matches("get_").to_string()))
            } else if let Some(a) = setter {
                MethodKind::Setter(name_option(&a)?.unwrap_or_else(|| name.trim_start_matches("set_").to_string()))
            } else if name.starts_with("__") && name.ends_with("__") && name.len() > 4 {
                if let Some((_, why)) = UNSUPPORTED.iter().find(|(n, _)| *n == name) {
                    return Err(Error::new_spanned(&f.sig.ident, format!("`{name}`: {why}")));
                }
                if is_special(&name) { MethodKind::Special(name) } else { MethodKind::Plain(name) }
            } else {
                MethodKind::Plain(name)
            };
            if !matches!(kind, MethodKind::New) && callable.receiver == crate::callable::Receiver::None && !callable.needs_instance() {
                return Err(Error::new_spanned(
                    &f.sig,
                    "HPy 0.9 has no staticmethod or classmethod: take `&self`, or make it a module function",
                ));
            }
            let returns_unit = match &f.sig.output {
                ReturnType::Default => true,
                ReturnType::Type(_, t) => {
                    let s = t.to_token_stream().to_string().replace(' ', "");
                    s == "()" || s.ends_with("Result<()>")
                }
            };
            self.methods.push(Method { kind, callable, doc, returns_unit });
        }
        Ok(())
    }

    /// Emits every definition of the class; returns the spec's name.
    pub fn generate(&self, g: &mut Gen) -> Result<Ident> {
        let (ident, ty, global) = (&self.ident, &self.ty, &self.type_global);
        let name = &self.py_name;
        let mut defs: Vec<DefName> = Vec::new();
        let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
        for (k, a) in &self.accessors {
            accessors.insert(k.clone(), Accessor { getter: a.getter.clone(), setter: a.setter.clone(), doc: a.doc.clone() });
        }
        let mut specials: BTreeMap<String, Vec<(usize, &Method)>> = BTreeMap::new();
        let mut has_new = false;
        for m in &self.methods {
            let rust = &m.callable.rust_name;
            match &m.kind {
                MethodKind::New => {
                    has_new = true;
                    defs.push(self.new_def(g, m)?);
                }
                MethodKind::Plain(py_name) => {
                    let (sig, body) = callable_body(&m.callable, py_name, quote! { #ty::#rust }, Some(ty));
                    let marker = sig_impl(g, sig, body);
                    defs.push(meth_def(g, sig, &marker, py_name, m.doc.clone()));
                }
                MethodKind::Getter(n) => {
                    let c = &m.callable;
                    // the getset descriptor checked the receiver
                    let (borrow, recv) = c.receiver_prelude_with(ty, true);
                    let bind = c.bind_single(quote! { unreachable!() });
                    let call = c.call(quote! { #ty::#rust }, recv);
                    let e = accessors.entry(n.clone()).or_insert(Accessor { getter: None, setter: None, doc: m.doc.clone() });
                    e.getter = Some(quote! {
                        let __slf = ::lichen_hpy::__private::receiver(__a0)?;
                        #borrow #bind
                        ::lichen_hpy::IntoPyResult::into_py_result(#call, py)
                    });
                }
                MethodKind::Setter(n) => {
                    let c = &m.callable;
                    // the getset descriptor checked the receiver
                    let (borrow, recv) = c.receiver_prelude_with(ty, true);
                    let bind = c.bind_single(quote! { __v });
                    let call = c.call(quote! { #ty::#rust }, recv);
                    let e = accessors.entry(n.clone()).or_insert(Accessor { getter: None, setter: None, doc: m.doc.clone() });
                    e.setter = Some(quote! {
                        let __slf = ::lichen_hpy::__private::receiver(__a0)?;
                        let __v = ::lichen_hpy::__private::required_obj(__a1)
                            .map_err(|_| ::lichen_hpy::exceptions::PyAttributeError::new_err("can't delete attribute"))?;
                        #borrow #bind
                        ::lichen_hpy::__private::RetUnit::into_ret(#call)?;
                        Ok(0)
                    });
                }
                MethodKind::Special(n) => {
                    let (slot, index) = slot_of(n).expect("checked by is_special");
                    specials.entry(slot).or_default().push((index, m));
                }
            }
        }
        for (n, a) in &accessors {
            defs.push(accessor_def(g, n, a));
        }
        if !has_new {
            let body = quote! { ::lichen_hpy::__private::no_constructor::<#ty>() };
            let marker = sig_impl(g, "NEWFUNC", body);
            defs.push(slot_def(g, "NEWFUNC", &marker, "tp_new"));
        }
        for (slot, methods) in &specials {
            self.special_defs(g, slot, methods, &mut defs)?;
        }
        // tp_traverse and tp_destroy: no context, generated per class.
        let members = &self.field_names;
        g.items.push(quote! {
            impl ::lichen_hpy::__private::ClassTraverse for #ident {
                #[allow(unused_imports)]
                fn traverse_fields(&self, visit: &mut dyn FnMut(&::lichen_hpy::Field) -> i32) -> i32 {
                    use ::lichen_hpy::__private::{SkipFields, VisitFields};
                    #(
                        let r = (&::lichen_hpy::__private::TraverseProbe(&self.#members)).visit_fields(visit);
                        if r != 0 { return r; }
                    )*
                    0
                }
            }
        });
        if self.gc {
            defs.push(static_def(g, quote! {
                ::lichen_hpy::__private::StaticDef::slot::<::lichen_hpy::__private::Traverse<#ident>>(
                    ::lichen_hpy::__private::HPySlot_Slot::tp_traverse,
                    ::lichen_hpy::__private::tramp::TRAVERSEPROC::ptr::<::lichen_hpy::__private::Traverse<#ident>>())
            }));
        }
        // tp_destroy last, left out where dropping the payload does nothing:
        // a host may pay for a destroy function per object (PyPy runs it
        // from a `__del__`, which its GC makes costly).
        let destroy = static_def(g, quote! {
            ::lichen_hpy::__private::StaticDef::slot::<::lichen_hpy::__private::Destroy<#ident>>(
                ::lichen_hpy::__private::HPySlot_Slot::tp_destroy, ::lichen_hpy::__private::DESTROY_TRAMPOLINE)
        });
        let defines = def_list(g, &defs, Some(quote! { ::lichen_hpy::__private::destroy_def_ptr::<#ident>(&#destroy) }));
        let spec = format_ident!("__HPY_SPEC_{}", ident);
        let qualified = cstr(&self.qualified);
        let doc = &self.doc;
        let mut flags = quote! { ::lichen_hpy::__private::tpflags::DEFAULT };
        if self.subclass {
            flags = quote! { #flags | ::lichen_hpy::__private::tpflags::BASETYPE };
        }
        if self.gc {
            flags = quote! { #flags | ::lichen_hpy::__private::tpflags::HAVE_GC };
        }
        let align_msg = format!(
            "the payload of #[pyclass] {ident} needs an alignment above 16 bytes, more than HPy guarantees (max_align_t)"
        );
        g.items.push(quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #global: ::lichen_hpy::Global = ::lichen_hpy::Global::new();
            // SAFETY: the type stored in this global is made from the spec
            // below, whose struct is PyCellLayout<Self>.
            unsafe impl ::lichen_hpy::PyClass for #ident {
                const NAME: &'static str = #name;
                fn type_object() -> &'static ::lichen_hpy::Global {
                    &#global
                }
            }
            /// A new instance holding the value (the constructor is not called).
            impl ::lichen_hpy::IntoPy for #ident {
                fn into_py<'py>(self, py: ::lichen_hpy::Python<'py>) -> ::lichen_hpy::PyResult<::lichen_hpy::Obj<'py>> {
                    py.new_instance(self)
                }
            }
            const _: () = ::core::assert!(
                ::lichen_hpy::__private::PyCellLayout::<#ident>::ALIGN <= ::lichen_hpy::MAX_PAYLOAD_ALIGN,
                #align_msg
            );
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #spec: ::lichen_hpy::__private::TypeSpec =
                ::lichen_hpy::__private::TypeSpec::new::<#ident>(#qualified, #doc, #flags, #defines);
        });
        Ok(spec)
    }

    /// `#[new]` as tp_new: binds the arguments, calls the constructor,
    /// allocates the object (of the class or a Python subclass).
    fn new_def(&self, g: &mut Gen, m: &Method) -> Result<DefName> {
        let c = &m.callable;
        if c.needs_instance() {
            return Err(Error::new(c.span, "#[new] makes the instance: it takes no `self`"));
        }
        let ty = &self.ty;
        let rust = &c.rust_name;
        let parse = c.parse(&self.py_name, true);
        let bind = c.bind_from_parsed();
        let call = c.call(quote! { #ty::#rust }, None);
        let body = quote! {
            let __cls = ::lichen_hpy::__private::required_obj(__a0)?;
            #parse
            #bind
            let __value = ::lichen_hpy::__private::RetNew::<#ty>::into_new(#call)?;
            // SAFETY: the runtime calls a type's tp_new only with the type
            // or a subtype as `cls`.
            unsafe { ::lichen_hpy::__private::new_instance::<#ty>(__cls, __value) }
        };
        let marker = sig_impl(g, "NEWFUNC", body);
        Ok(slot_def(g, "NEWFUNC", &marker, "tp_new"))
    }

    /// The definition of one slot from the special methods mapped to it.
    fn special_defs(&self, g: &mut Gen, slot: &str, methods: &[(usize, &Method)], defs: &mut Vec<DefName>) -> Result<()> {
        let sig = slot_signature(slot);
        let ty = &self.ty;
        let by_index = |i: usize| methods.iter().find(|(j, _)| *j == i).map(|(_, m)| *m);
        let body = match sig.as_str() {
            "REPRFUNC" | "UNARYFUNC" => {
                let m = by_index(0).unwrap();
                let (pre, call) = self.method_call(m, &[])?;
                quote! { #pre ::lichen_hpy::IntoPyResult::into_py_result(#call, py) }
            }
            "HASHFUNC" => self.ret_body(by_index(0).unwrap(), &[], quote! { RetHash })?,
            "LENFUNC" => self.ret_body(by_index(0).unwrap(), &[], quote! { RetLen })?,
            "INQUIRY" => self.ret_body(by_index(0).unwrap(), &[], quote! { RetBool })?,
            "OBJOBJPROC" => self.ret_body(by_index(0).unwrap(), &[quote! { __a1 }], quote! { RetBool })?,
            "DESTRUCTOR" => {
                let (pre, call) = self.method_call(by_index(0).unwrap(), &[])?;
                quote! { #pre ::lichen_hpy::__private::RetUnit::into_ret(#call) }
            }
            "BINARYFUNC" | "TERNARYFUNC" => self.binary_body(slot, methods, sig == "TERNARYFUNC")?,
            "OBJOBJARGPROC" => {
                let set = match by_index(0) {
                    Some(m) => {
                        let (pre, call) = self.method_call(m, &[quote! { __a1 }, quote! { __a2 }])?;
                        quote! { #pre ::lichen_hpy::__private::RetUnit::into_ret(#call)?; Ok(0) }
                    }
                    None => quote! { Err(::lichen_hpy::exceptions::PyTypeError::new_err("object does not support item assignment")) },
                };
                let del = match by_index(1) {
                    Some(m) => {
                        let (pre, call) = self.method_call(m, &[quote! { __a1 }])?;
                        quote! { #pre ::lichen_hpy::__private::RetUnit::into_ret(#call)?; Ok(0) }
                    }
                    None => quote! { Err(::lichen_hpy::exceptions::PyTypeError::new_err("object does not support item deletion")) },
                };
                quote! { if __a2.is_some() { #set } else { #del } }
            }
            "RICHCMPFUNC" => self.richcmp_body(methods)?,
            "KEYWORDS" => {
                let m = by_index(0).unwrap();
                let rust = &m.callable.rust_name;
                let (_, body) = callable_body_keywords(&m.callable, &self.py_name, quote! { #ty::#rust }, ty);
                body
            }
            "INITPROC" => {
                let m = by_index(0).unwrap();
                let c = &m.callable;
                let rust = &c.rust_name;
                let parse = c.parse("__init__", true);
                let bind = c.bind_from_parsed();
                let (borrow, recv) = c.receiver_prelude(ty);
                let call = c.call(quote! { #ty::#rust }, recv);
                quote! {
                    let __slf = ::lichen_hpy::__private::receiver(__a0)?;
                    #parse
                    #borrow #bind
                    ::lichen_hpy::__private::RetUnit::into_ret(#call)?;
                    Ok(0)
                }
            }
            "GETBUFFERPROC" => return self.buffer_defs(g, methods[0].1, defs),
            other => return Err(Error::new(methods[0].1.callable.span, format!("slot signature {other} is not supported yet"))),
        };
        let marker = sig_impl(g, &sig, body);
        defs.push(slot_def(g, &sig, &marker, slot));
        Ok(())
    }

    /// Binds `operands` (expressions of `Option<&Obj>`) to the method's
    /// parameters and borrows the receiver from `__a0`; returns (prelude,
    /// call).
    fn method_call(&self, m: &Method, operands: &[TokenStream]) -> Result<(TokenStream, TokenStream)> {
        self.method_call_on(m, quote! { __a0 }, operands)
    }

    /// A slot method called on `slf`, the instance whose type's slot runs
    /// (its wrapper descriptor checks the receiver too): borrowed without a
    /// type test of its own. Both-sided number slots test first instead.
    fn method_call_on(&self, m: &Method, slf: TokenStream, operands: &[TokenStream]) -> Result<(TokenStream, TokenStream)> {
        let c = &m.callable;
        let ty = &self.ty;
        let rust = &c.rust_name;
        let bound: Vec<&crate::callable::Param> = c.bound().collect();
        if bound.len() > operands.len() {
            return Err(Error::new(c.span, format!("this special method takes {} argument(s) besides self", operands.len())));
        }
        let args: Vec<TokenStream> = bound
            .iter()
            .zip(operands)
            .map(|(p, o)| {
                if type_name(&p.ty).as_deref() == Some("Option") {
                    quote! { match #o { Some(__o) => ::lichen_hpy::FromPy::from_py(__o)?, None => None } }
                } else {
                    convert_obj(&p.ty, quote! { ::lichen_hpy::__private::required_obj(#o)? })
                }
            })
            .collect();
        let bind = c.bind_operands(&args)?;
        let (borrow, recv) = c.receiver_prelude_with(ty, true);
        let call = c.call(quote! { #ty::#rust }, recv);
        Ok((quote! { let __slf = ::lichen_hpy::__private::receiver(#slf)?; #borrow #bind }, call))
    }

    fn ret_body(&self, m: &Method, operands: &[TokenStream], tr: TokenStream) -> Result<TokenStream> {
        let (pre, call) = self.method_call(m, operands)?;
        Ok(quote! { #pre ::lichen_hpy::__private::#tr::into_ret(#call) })
    }

    /// A number slot: the forward method when the left operand is ours,
    /// the reflected one when the right is; `NotImplemented` when the
    /// other operand does not convert. In-place slots and `__getitem__`
    /// are forward only; an in-place method returning `()` returns self.
    fn binary_body(&self, slot: &str, methods: &[(usize, &Method)], ternary: bool) -> Result<TokenStream> {
        let ty = &self.ty;
        let third: Vec<TokenStream> = if ternary { vec![quote! { __a2 }] } else { vec![] };
        let forward_only = slot.contains("inplace") || slot == "mp_subscript" || slot == "sq_concat";
        let attempt = |m: &Method, slf: TokenStream, other: TokenStream| -> Result<TokenStream> {
            let mut ops = vec![other];
            ops.extend(third.iter().cloned());
            let n_bound = m.callable.bound().count();
            ops.truncate(n_bound.max(1));
            // The receiver is an instance of the class without a test of
            // its own: a forward-only slot's first operand is the object
            // whose type's slot runs, which every host guarantees (CPython
            // calls `nb_inplace_*`, `mp_subscript` and `sq_concat` of
            // `Py_TYPE(v)` with `v` first, and its wrapper descriptors
            // check `self`; RustPython's and PyPy's hosts expose these
            // slots only as forward special methods whose descriptors
            // check the receiver: `native_method` / `receiver`). A
            // both-sided slot gets the other operand first when it runs
            // reflected (`nb_add(other, self)` on CPython): it tests the
            // operand below before borrowing it.
            let (pre, call) = self.method_call_on(m, slf, &ops)?;
            let finish = if m.returns_unit {
                quote! { ::lichen_hpy::__private::RetUnit::into_ret(#call)?; Ok(::core::clone::Clone::clone(__slf)) }
            } else if forward_only {
                quote! { ::lichen_hpy::IntoPyResult::into_py_result(#call, py) }
            } else {
                // A result of the class itself is allocated from `__cls`,
                // the type object loaded once for the operand tests.
                quote! {
                    #[allow(unused_imports)]
                    use ::lichen_hpy::__private::{RetViaClass as _, RetViaIntoPy as _};
                    // SAFETY: `__cls` is the class's own type object (loaded
                    // from its global below).
                    unsafe { (&::lichen_hpy::__private::ClassRet::<#ty, _>::new(#call)).ret(py, &__cls) }
                }
            };
            // A conversion error of the other operand means "not mine".
            Ok(quote! {
                let __r: ::lichen_hpy::PyResult<::lichen_hpy::Obj<'py>> = (|| { #pre #finish })();
                match __r {
                    Ok(v) => return Ok(v),
                    Err(e) if e.matches(py, <::lichen_hpy::exceptions::PyTypeError as ::lichen_hpy::PyExceptionType>::type_object()) => e.clear(py),
                    Err(e) => return Err(e),
                }
            })
        };
        let mut body = TokenStream::new();
        if let Some((_, m)) = methods.iter().find(|(i, _)| *i == 0) {
            let a = attempt(m, quote! { __a0 }, quote! { __a1 })?;
            body.extend(if forward_only {
                quote! { { #a } }
            } else {
                quote! { if __a0.is_some_and(|o| o.is_instance(&__cls)) { #a } }
            });
        }
        if !forward_only {
            if let Some((_, m)) = methods.iter().find(|(i, _)| *i == 1) {
                let a = attempt(m, quote! { __a1 }, quote! { __a0 })?;
                body.extend(quote! { if __a1.is_some_and(|o| o.is_instance(&__cls)) { #a } });
            }
            // The class's type object, once for the operand tests and the
            // result (a class not ready has no instances yet).
            body = quote! {
                let Some(__cls) = <#ty as ::lichen_hpy::PyClass>::type_object().get(py) else {
                    return Ok(py.not_implemented());
                };
                #body
            };
        }
        Ok(quote! { #body Ok(py.not_implemented()) })
    }

    /// `tp_richcompare` from `__richcmp__(&self, other, op)` or from the
    /// individual comparisons (the missing ones return NotImplemented).
    fn richcmp_body(&self, methods: &[(usize, &Method)]) -> Result<TokenStream> {
        let mut arms = TokenStream::new();
        for (i, m) in methods {
            let (pre, call) = if *i == usize::MAX {
                let c = &m.callable;
                let ty = &self.ty;
                let rust = &c.rust_name;
                let mut bound = c.bound();
                let other = bound.next().ok_or_else(|| Error::new(c.span, "__richcmp__(&self, other, op: CompareOp)"))?;
                let other = convert_obj(&other.ty, quote! { ::lichen_hpy::__private::required_obj(__a1)? });
                let bind = c.bind_operands(&[other, quote! { __cmp }])?;
                // tp_richcompare runs on an instance of the class (also reflected)
                let (borrow, recv) = c.receiver_prelude_with(ty, true);
                (quote! { let __slf = ::lichen_hpy::__private::receiver(__a0)?; #borrow #bind }, c.call(quote! { #ty::#rust }, recv))
            } else {
                self.method_call(m, &[quote! { __a1 }])?
            };
            let attempt = quote! {
                let __r: ::lichen_hpy::PyResult<::lichen_hpy::Obj<'py>> = (|| { #pre ::lichen_hpy::IntoPyResult::into_py_result(#call, py) })();
                return match __r {
                    Ok(v) => Ok(v),
                    Err(e) if e.matches(py, <::lichen_hpy::exceptions::PyTypeError as ::lichen_hpy::PyExceptionType>::type_object()) => {
                        e.clear(py);
                        Ok(py.not_implemented())
                    }
                    Err(e) => Err(e),
                };
            };
            if *i == usize::MAX {
                arms.extend(quote! { { #attempt } });
            } else {
                let op = op_ident(*i);
                arms.extend(quote! { if __cmp == ::lichen_hpy::CompareOp::#op { #attempt } });
            }
        }
        Ok(quote! {
            let Some(__cmp) = ::lichen_hpy::CompareOp::from_raw(__a2) else {
                return Ok(py.not_implemented());
            };
            #arms
            Ok(py.not_implemented())
        })
    }

    /// `__getbuffer__(&self) -> &[E]`: bf_getbuffer and bf_releasebuffer.
    fn buffer_defs(&self, g: &mut Gen, m: &Method, defs: &mut Vec<DefName>) -> Result<()> {
        let c = &m.callable;
        let ty = &self.ty;
        let rust = &c.rust_name;
        if c.receiver != crate::callable::Receiver::Ref || c.params.iter().any(|p| p.kind != ParamKind::Py) {
            return Err(Error::new(c.span, "__getbuffer__(&self) -> &[T]: a read-only view of a slice of the payload"));
        }
        let get = quote! {
            let __slf = ::lichen_hpy::__private::receiver(__a0)?;
            let __this = ::lichen_hpy::PyRef::<#ty>::borrow(__slf)?;
            ::lichen_hpy::__private::buffer_export(&__this, __view, __flags, |__t| #ty::#rust(__t))
        };
        let marker = sig_impl(g, "GETBUFFERPROC", get);
        defs.push(slot_def(g, "GETBUFFERPROC", &marker, "bf_getbuffer"));
        let release = quote! {
            let __slf = ::lichen_hpy::__private::receiver(__a0)?;
            ::lichen_hpy::__private::buffer_release::<#ty>(__slf, __view)
        };
        let marker = sig_impl(g, "RELEASEBUFFERPROC", release);
        defs.push(slot_def(g, "RELEASEBUFFERPROC", &marker, "bf_releasebuffer"));
        Ok(())
    }
}

/// A `__call__` body: the KEYWORDS shape on the instance.
fn callable_body_keywords(c: &Callable, py_name: &str, path: TokenStream, ty: &Type) -> (&'static str, TokenStream) {
    let parse = c.parse(py_name, false);
    let bind = c.bind_from_parsed();
    let (borrow, recv) = c.receiver_prelude(ty);
    let call = c.call(path, recv);
    (
        "KEYWORDS",
        quote! {
            #parse
            let __slf = ::lichen_hpy::__private::receiver(__a0)?;
            #borrow #bind
            ::lichen_hpy::IntoPyResult::into_py_result(#call, py)
        },
    )
}

fn accessor_def(g: &mut Gen, name: &str, a: &Accessor) -> DefName {
    let part = |g: &mut Gen, sig: &str, body: &Option<TokenStream>| match body {
        Some(b) => {
            let marker = sig_impl(g, sig, b.clone());
            let def = of(sig, &marker);
            let t = tramp(sig, &def);
            quote! { (<#def as ::lichen_hpy::__private::Def>::IMPL, #t) }
        }
        None => quote! { (None, None) },
    };
    let getter = part(g, "GETTER", &a.getter);
    let setter = part(g, "SETTER", &a.setter);
    let cname = cstr(name);
    let doc = &a.doc;
    static_def(g, quote! { ::lichen_hpy::__private::StaticDef::getset(#cname, #doc, #getter, #setter) })
}

fn op_ident(i: usize) -> Ident {
    format_ident!("{}", ["Lt", "Le", "Eq", "Ne", "Gt", "Ge"][i])
}

/// Whether a dunder name is one the slot table (or the buffer protocol,
/// or `__richcmp__`) knows.
fn is_special(name: &str) -> bool {
    slot_of(name).is_some()
}

/// The slot a special method goes to and its place in the slot's list of
/// special methods (0 forward, 1 reflected or delete, the operator for
/// comparisons), from lichen-abi's slot table. Among slots sharing a name
/// (`__add__`: nb_add and sq_concat), the generic one wins: tp_, nb_, mp_,
/// then sq_.
fn slot_of(name: &str) -> Option<(String, usize)> {
    match name {
        "__getbuffer__" => return Some(("bf_getbuffer".into(), 0)),
        "__richcmp__" => return Some(("tp_richcompare".into(), usize::MAX)),
        _ => {}
    }
    let rank = |s: &str| ["tp_", "nb_", "mp_", "sq_"].iter().position(|p| s.starts_with(p)).unwrap_or(9);
    HPySlot_Slot::ALL
        .iter()
        .filter_map(|slot| {
            let i = slot.special_methods().iter().position(|m| *m == name)?;
            Some((slot.name()?.to_string(), i))
        })
        .min_by_key(|(s, _)| rank(s))
}

fn slot_signature(slot: &str) -> String {
    let s = HPySlot_Slot::ALL.iter().find(|s| s.name() == Some(slot)).expect("a slot of the table");
    s.signature().and_then(|g| g.name()).expect("every slot has a signature").to_string()
}
