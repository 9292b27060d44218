//! Writes the Rust that typify does not: the open sets as enums with an `Unknown` variant,
//! and the model registry as tables plus the enum of typed results items.

use crate::bundle::{
    discriminator_value, open_sets, Assembled, Entry, Fail, RuleKey, RuleKind, Sources, MAX_DEPTH,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `seeded-video` or `task_error` or `chat.completion` as `SeededVideo`, `TaskError`, `ChatCompletion`.
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().expect("non-empty").to_ascii_uppercase();
            std::iter::once(first).chain(chars).collect::<String>()
        })
        .collect()
}

fn doc(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {l}"));
    quote! { #( #[doc = #lines] )* }
}

/// One enum per open set: a variant per known value, and `Unknown(String)` for the rest, so
/// typed parsing never fails on a value FoxAPI adds later.
pub fn open_enums(sources: &Sources) -> TokenStream {
    let enums = open_sets(&sources.defs).into_iter().map(|(name, values, description)| {
        let ident = format_ident!("{}", name);
        let variants: Vec<_> = values.iter().map(|v| format_ident!("{}", pascal(v))).collect();
        let docs = values.iter().map(|v| format!(" `{v}`"));
        let type_doc = doc(&description);
        quote! {
            #type_doc
            ///
            /// The set may grow: match with a wildcard arm.
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #ident {
                #( #[doc = #docs] #variants, )*
                /// A value this version of the contract does not know yet (a warning, not an error).
                Unknown(::std::string::String),
            }

            impl #ident {
                /// Every value the contract knows, in schema order.
                pub const KNOWN: &'static [&'static str] = &[ #( #values ),* ];

                /// The value as it appears on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #( Self::#variants => #values, )*
                        Self::Unknown(other) => other.as_str(),
                    }
                }

                /// Whether the contract knows this value.
                pub fn is_known(&self) -> bool {
                    !matches!(self, Self::Unknown(_))
                }
            }

            impl ::std::convert::From<&str> for #ident {
                fn from(value: &str) -> Self {
                    match value {
                        #( #values => Self::#variants, )*
                        other => Self::Unknown(other.to_string()),
                    }
                }
            }

            impl ::std::str::FromStr for #ident {
                type Err = ::std::convert::Infallible;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    Ok(Self::from(value))
                }
            }

            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self::from(value.as_ref()))
                }
            }
        }
    });
    quote! { #( #enums )* }
}

fn shape_variant(name: &str) -> proc_macro2::Ident {
    format_ident!("{}", pascal(name))
}

fn entry_tokens(entry: &Entry, sources: &Sources) -> TokenStream {
    let key = &entry.key;
    let output_type = entry
        .output_type
        .clone()
        .unwrap_or_else(|| entry.key.clone());
    let shapes = entry.shapes.iter().map(|s| shape_variant(s));
    let note = &entry.note;
    let discriminator = match &entry.discriminator {
        Some(tag) => {
            let pairs = entry.shapes.iter().map(|s| {
                let value = discriminator_value(s, tag, &sources.shapes, &sources.defs)
                    .expect("checked when read");
                let variant = shape_variant(s);
                quote! { (#value, Shape::#variant) }
            });
            quote! { Some(Discriminator { property: #tag, values: &[ #( #pairs ),* ] }) }
        }
        None => quote! { None },
    };
    quote! {
        Entry {
            key: #key,
            output_type: #output_type,
            shapes: &[ #( Shape::#shapes ),* ],
            discriminator: #discriminator,
            note: #note,
        }
    }
}

/// The registry as Rust: `Shape`, `ResultItem` (with its accessors) and the tables
/// `BY_MODEL`, `BY_TYPE`, `TASK_KINDS`.
pub fn registry(sources: &Sources) -> Result<TokenStream, Fail> {
    let accessors = accessors(sources)?;
    let shapes = &sources.shapes;
    let variants: Vec<_> = shapes.iter().map(|s| shape_variant(&s.name)).collect();
    let names: Vec<_> = shapes.iter().map(|s| s.name.clone()).collect();
    let titles: Vec<_> = shapes.iter().map(|s| s.title.clone()).collect();
    let types: Vec<_> = shapes
        .iter()
        .map(|s| format_ident!("{}", s.title))
        .collect();
    let shape_docs: Vec<_> = shapes.iter().map(|s| doc(&s.description)).collect();
    let by_model = sources
        .registry
        .by_model
        .iter()
        .map(|e| entry_tokens(e, sources));
    let by_type = sources
        .registry
        .by_type
        .iter()
        .map(|e| entry_tokens(e, sources));
    let kinds = sources
        .registry
        .task_kinds
        .iter()
        .map(|(o, t)| quote! { (#o, #t) });
    Ok(quote! {
        /// A shape of `results` items: one file of `schema/results/`. Shapes are added as the
        /// contract learns models: match with a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Shape {
            #( #shape_docs #variants, )*
        }

        impl Shape {
            /// Every shape, in file-name order.
            pub const ALL: &'static [Shape] = &[ #( Shape::#variants ),* ];

            /// The shape's name: its file in `schema/results/` without `.schema.json`.
            pub fn name(self) -> &'static str {
                match self { #( Shape::#variants => #names, )* }
            }

            /// The shape's schema title, its name under `$defs` in the contract schema.
            pub fn title(self) -> &'static str {
                match self { #( Shape::#variants => #titles, )* }
            }

            /// The shape called `name`, if there is one.
            pub fn from_name(name: &str) -> Option<Shape> {
                match name { #( #names => Some(Shape::#variants), )* _ => None }
            }

            /// Parses one results item as this shape (the generated type; no validation).
            pub fn parse(self, item: &::serde_json::Value) -> ::std::result::Result<ResultItem, ::serde_json::Error> {
                Ok(match self {
                    #( Shape::#variants => ResultItem::#variants(<#types as ::serde::Deserialize>::deserialize(item)?), )*
                })
            }
        }

        /// One `results` item, typed by the shape its model (or else its type) requires.
        /// Shapes are added as the contract learns models: match with a wildcard arm, or use
        /// the accessors ([`ResultItem::url`], ...), which every shape answers.
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum ResultItem {
            #( #shape_docs #variants(#types), )*
            /// An item of a model and type the registry does not know: kept as JSON.
            Untyped(::serde_json::Value),
        }

        impl ResultItem {
            /// The shape this item was parsed as; `None` for an untyped item.
            pub fn shape(&self) -> Option<Shape> {
                match self {
                    #( ResultItem::#variants(_) => Some(Shape::#variants), )*
                    ResultItem::Untyped(_) => None,
                }
            }

            #accessors
        }

        /// Models whose results have their own shape, from `schema/models.json`.
        pub(crate) static BY_MODEL: &[Entry] = &[ #( #by_model ),* ];
        /// The shape of results by output type, for every other model.
        pub(crate) static BY_TYPE: &[Entry] = &[ #( #by_type ),* ];
        /// Each known task kind and the output type it must agree with.
        pub(crate) static TASK_KINDS: &[(&str, &str)] = &[ #( #kinds ),* ];
    })
}

/// The properties of results items that [`accessors`] reads: the URL of a file and the
/// long-lived ids later tasks take as parameters (spec section 3), with their documentation.
pub const ACCESSORS: &[(&str, &str)] = &[
    (
        "url",
        "The URL of the generated file (it expires 24 hours after completion).",
    ),
    (
        "voice_id",
        "The long-lived id of a voice, for later lip-sync or speech tasks.",
    ),
    (
        "character_id",
        "The long-lived id of a Sora 2 character, for later consistent tasks.",
    ),
    (
        "profile_id",
        "The long-lived id of a trained person profile.",
    ),
];

/// Whether property `schema` of a shape holds a string: `type: string`, or a `$ref` to a
/// definition that does.
fn is_string(
    schema: &serde_json::Value,
    defs: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    if schema.get("type").and_then(serde_json::Value::as_str) == Some("string") {
        return true;
    }
    schema
        .get("$ref")
        .and_then(serde_json::Value::as_str)
        .and_then(|r| defs.get(r.trim_start_matches("#/$defs/")))
        .is_some_and(|def| def.get("type").and_then(serde_json::Value::as_str) == Some("string"))
}

/// For each property of [`ACCESSORS`], a method of `ResultItem` that reads it from every shape
/// that declares it (`None` for the others), and from an untyped item's JSON. A shape that
/// declares it with another type than a string is a build error.
pub fn accessors(sources: &Sources) -> Result<TokenStream, Fail> {
    let mut methods = Vec::new();
    for (property, what) in ACCESSORS {
        let method = format_ident!("{}", property);
        let mut arms = Vec::new();
        for shape in &sources.shapes {
            let def = &sources.defs[&shape.title];
            let Some(schema) = def.get("properties").and_then(|p| p.get(*property)) else {
                continue;
            };
            if !is_string(schema, &sources.defs) {
                return Err(format!(
                    "schema/results/{}.schema.json: /properties/{property}: expected a string (ResultItem::{property}() reads it), found {schema}",
                    shape.name
                ));
            }
            let required = def
                .get("required")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|r| r.iter().any(|p| p == property));
            let variant = shape_variant(&shape.name);
            arms.push(if required {
                quote! { ResultItem::#variant(item) => Some(item.#method.as_str()), }
            } else {
                quote! { ResultItem::#variant(item) => item.#method.as_ref().map(|v| v.as_str()), }
            });
        }
        let doc =
            format!(" {what} Read from the item's `{property}`; `None` for a shape without one.");
        methods.push(quote! {
            #[doc = #doc]
            pub fn #method(&self) -> Option<&str> {
                #[allow(unreachable_patterns)]
                match self {
                    #( #arms )*
                    ResultItem::Untyped(value) => value.get(#property).and_then(::serde_json::Value::as_str),
                    _ => None,
                }
            }
        });
    }
    Ok(quote! { #( #methods )* })
}

/// Marks every struct with named fields of typify's output `#[non_exhaustive]`: they describe
/// what the server sends, users receive them (through serde), and a key the contract learns
/// becomes a field without breaking anyone. Newtypes over a string are left as they are.
pub fn non_exhaustive_structs(file: &mut syn::File) {
    for item in &mut file.items {
        match item {
            syn::Item::Struct(s)
                if matches!(s.fields, syn::Fields::Named(_))
                    && matches!(s.vis, syn::Visibility::Public(_)) =>
            {
                s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            }
            // typify's conversion errors are its own machinery, not the contract's API.
            syn::Item::Mod(m) if m.ident == "error" => {
                m.attrs.push(syn::parse_quote!(#[doc(hidden)]));
            }
            _ => {}
        }
    }
}

fn rule_key(key: &RuleKey) -> TokenStream {
    match key {
        RuleKey::Model(m) => quote! { RuleKey::Model(#m) },
        RuleKey::Type(t) => quote! { RuleKey::Type(#t) },
        RuleKey::Object(o) => quote! { RuleKey::Object(#o) },
    }
}

fn rule_table(assembled: &Assembled) -> TokenStream {
    let entries = assembled.rules.iter().enumerate().map(|(index, rule)| {
        let kind = match &rule.kind {
            RuleKind::Envelope => quote! { RuleKind::Envelope },
            RuleKind::Results(key) => {
                let key = rule_key(key);
                quote! { RuleKind::Results { key: #key } }
            }
            RuleKind::Advisory => quote! { RuleKind::Advisory },
            RuleKind::Depth => quote! { RuleKind::Depth },
        };
        let description = rule.description();
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        quote! { RuleInfo { index: #index, kind: #kind, description: #description } }
    });
    quote! { &[ #( #entries ),* ] }
}

fn parts_table(parts: &crate::parts::Parts) -> TokenStream {
    let envelope = &parts.envelope;
    let entries = parts.entries.iter().map(|entry| {
        let index = proc_macro2::Literal::usize_unsuffixed(entry.index);
        let key = rule_key(&entry.key);
        let condition = &entry.condition;
        let items = proc_macro2::Literal::usize_unsuffixed(entry.items);
        quote! { EntryPart { index: #index, key: #key, condition: #condition, items: #items } }
    });
    let items = &parts.items;
    quote! { Parts { envelope: #envelope, entries: &[ #( #entries ),* ], items: &[ #( #items ),* ] } }
}

/// The rule tables of the two assembled schemas and the constants the runtime shares with
/// build time, as the body of `src/rules.rs`'s generated part.
pub fn rules(contract: &Assembled, strict: &Assembled) -> TokenStream {
    let contract_rules = rule_table(contract);
    let strict_rules = rule_table(strict);
    let contract_parts = parts_table(&crate::parts::parts(contract));
    let strict_parts = parts_table(&crate::parts::parts(strict));
    let described = crate::parts::pattern_descriptions(&strict.schema)
        .into_iter()
        .map(|(pointer, sentence)| quote! { (#pointer, #sentence) });
    let strict_only = crate::parts::strict_only(&contract.schema, &strict.schema);
    let max_depth = proc_macro2::Literal::usize_unsuffixed(MAX_DEPTH);
    quote! {
        /// The top-level rules of the contract schema, in `allOf` order.
        pub(crate) static CONTRACT_RULES: &[RuleInfo] = #contract_rules;
        /// The top-level rules of the strict contract schema, in `allOf` order.
        pub(crate) static STRICT_RULES: &[RuleInfo] = #strict_rules;
        /// The parts of the contract schema the crate compiles.
        pub(crate) static CONTRACT_PARTS: Parts = #contract_parts;
        /// The parts of the strict contract schema the crate compiles.
        pub(crate) static STRICT_PARTS: Parts = #strict_parts;
        /// The nodes of the strict schema with a `pattern` or `format`, by pointer, with the
        /// first sentence of their description: what an error of that keyword expected.
        pub(crate) static PATTERN_DESCRIPTIONS: &[(&str, &str)] = &[ #( #described ),* ];
        /// The keywords of the strict schema the contract lacks, top-most, by pointer, sorted:
        /// an error of the strict schema at or below one is not one of the contract.
        pub(crate) static STRICT_ONLY: &[&str] = &[ #( #strict_only ),* ];
        /// The deepest nesting of arrays and objects a response may have (spec section 5).
        pub(crate) const MAX_DEPTH: usize = #max_depth;
    }
}
