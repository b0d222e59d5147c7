//! `context` as a Liquid template sees it: plain values under DotLiquid's member names.

use gatehouse_expr::context::UrlInfo;
use gatehouse_expr::{Host, Message, UrlKind};

use super::value::LValue;
use crate::runtime::Exchange;

/// The `context` object for a template rendered against `ex`.
pub(crate) fn context(ex: &Exchange) -> LValue {
    let resolved = ex.resolved();
    let text = |s: &str| LValue::Str(s.to_owned());
    let mut members = vec![
        ("Request".to_owned(), request(ex)),
        ("Response".to_owned(), response(ex)),
        ("Variables".to_owned(), variables(ex)),
        ("RequestId".to_owned(), text(&ex.request_id().to_string())),
    ];
    if let Some(api) = &resolved.api {
        members.push((
            "Api".into(),
            map(&[
                ("Id", text(&api.id)),
                ("Name", text(&api.name)),
                ("Path", text(&api.path)),
            ]),
        ));
    }
    if let Some(operation) = &resolved.operation {
        let fields = [
            ("Id", text(&operation.id)),
            ("Name", text(&operation.name)),
            ("Method", text(&operation.method)),
            ("UrlTemplate", text(&operation.url_template)),
        ];
        members.push(("Operation".into(), map(&fields)));
    }
    if let Some(subscription) = &resolved.subscription {
        members.push((
            "Subscription".into(),
            map(&[
                ("Id", text(&subscription.id)),
                ("Name", text(&subscription.name)),
            ]),
        ));
    }
    if let Some(product) = &resolved.product {
        members.push((
            "Product".into(),
            map(&[("Id", text(&product.id)), ("Name", text(&product.name))]),
        ));
    }
    LValue::Map(members)
}

fn map(fields: &[(&str, LValue)]) -> LValue {
    LValue::Map(
        fields
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect(),
    )
}

fn request(ex: &Exchange) -> LValue {
    let matched = ex
        .matched_parameters()
        .iter()
        .map(|(n, v)| (n.to_string(), LValue::Str(v.to_string())))
        .collect();
    let mut fields = vec![
        ("Method", LValue::Str(ex.request.method.to_string())),
        ("Headers", headers(ex, Message::Request)),
        ("MatchedParameters", LValue::Map(matched)),
        ("IpAddress", LValue::Str(ex.client_ip().to_string())),
    ];
    if let Some(url) = ex.url(UrlKind::Request) {
        fields.push(("Url", url_value(url)));
    }
    if let Some(url) = ex.url(UrlKind::Original) {
        fields.push(("OriginalUrl", url_value(url)));
    }
    map(&fields)
}

fn response(ex: &Exchange) -> LValue {
    let (status, reason) = ex.response_status();
    map(&[
        ("StatusCode", LValue::Number(f64::from(status))),
        ("StatusReason", LValue::Str(reason.to_string())),
        ("Headers", headers(ex, Message::Response)),
    ])
}

/// Header names to their values joined with commas (APIM's `GetValueOrDefault` form).
fn headers(ex: &Exchange, message: Message) -> LValue {
    let names = ex.header_names(message);
    let members = names
        .iter()
        .map(|name| {
            let values = ex.header(message, name).unwrap_or_default();
            let joined = values.iter().map(|v| &**v).collect::<Vec<_>>().join(",");
            (name.to_string(), LValue::Str(joined))
        })
        .collect();
    LValue::Map(members)
}

fn url_value(url: &UrlInfo) -> LValue {
    let query = url
        .query
        .iter()
        .map(|(name, values)| (name.to_string(), LValue::Str(values.join(","))))
        .collect();
    map(&[
        ("Scheme", LValue::Str(url.scheme.to_string())),
        ("Host", LValue::Str(url.host.to_string())),
        ("Port", LValue::Number(f64::from(url.port))),
        ("Path", LValue::Str(url.path.to_string())),
        ("Query", LValue::Map(query)),
        ("QueryString", LValue::Str(url.query_string.to_string())),
    ])
}

fn variables(ex: &Exchange) -> LValue {
    let display = |v: &gatehouse_expr::Value| gatehouse_expr::display(v, ex);
    let members = ex
        .variable_names()
        .iter()
        .filter_map(|name| {
            Some((
                name.to_string(),
                LValue::from_value(&ex.variable(name)?, &display),
            ))
        })
        .collect();
    LValue::Map(members)
}
