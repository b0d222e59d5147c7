//! Policy documents the tests share.

/// The article's inbound policy for one thumbprint: 403 "Invalid client certificate" unless
/// the caller presented exactly that certificate. Every other section inherits.
pub fn article_policy(thumbprint: &str) -> String {
    format!(
        r#"<policies>
    <inbound>
        <base />
        <choose>
            <when condition="@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "{thumbprint}")">
                <return-response>
                    <set-status code="403" reason="Invalid client certificate" />
                </return-response>
            </when>
        </choose>
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>"#
    )
}
