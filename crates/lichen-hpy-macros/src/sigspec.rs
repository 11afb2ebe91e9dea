//! `#[hpy(signature = (a, b = 1, *args, c, **kwargs))]`, PyO3's grammar.

use syn::parse::{Parse, ParseStream};
use syn::{parenthesized, Expr, Ident, Token};

pub enum SigItem {
    Param(Ident, Option<Expr>),
    /// `/`: the parameters before it are positional-only.
    Slash,
    /// A bare `*`: the parameters after it are keyword-only.
    Star,
    Args(Ident),
    Kwargs(Ident),
}

pub struct SigSpec {
    pub items: Vec<SigItem>,
}

impl Parse for SigSpec {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        parenthesized!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            if content.peek(Token![/]) {
                content.parse::<Token![/]>()?;
                items.push(SigItem::Slash);
            } else if content.peek(Token![*]) && content.peek2(Token![*]) {
                content.parse::<Token![*]>()?;
                content.parse::<Token![*]>()?;
                items.push(SigItem::Kwargs(content.parse()?));
            } else if content.peek(Token![*]) {
                content.parse::<Token![*]>()?;
                if content.peek(Ident) {
                    items.push(SigItem::Args(content.parse()?));
                } else {
                    items.push(SigItem::Star);
                }
            } else {
                let name: Ident = content.parse()?;
                let default = if content.peek(Token![=]) {
                    content.parse::<Token![=]>()?;
                    Some(content.parse::<Expr>()?)
                } else {
                    None
                };
                items.push(SigItem::Param(name, default));
            }
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Ok(SigSpec { items })
    }
}
