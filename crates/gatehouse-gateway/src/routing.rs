//! Request routing: the API by path prefix, then the operation by method and URL template.
//!
//! Lookups cost the same however many APIs are configured: the API is found by hashing the
//! request path's prefixes, longest first, and only that API's operations are matched.

use foldhash::HashMap;

/// One compiled URL template such as `/users/{id}/orders/{*rest}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlTemplate {
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter(String),
    /// `{*name}`: the rest of the path, slashes included. Only last.
    Rest(String),
}

/// The template parameters a request matched, in template order, percent-decoded.
pub type MatchedParameters = Vec<(String, String)>;

impl UrlTemplate {
    /// Compiles the path part of an operation's `urlTemplate` (a query part is ignored for
    /// matching: APIM matches operations on the path and method).
    pub fn parse(template: &str) -> Self {
        let path = template.split('?').next().unwrap_or_default();
        let segments = split_path(path).map(Segment::from_text).collect();
        Self { segments }
    }

    /// Matches a path below the API's prefix, returning the parameters.
    pub fn matches(&self, path: &str) -> Option<MatchedParameters> {
        let mut parameters = Vec::new();
        let mut rest = split_path(path).peekable();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => {
                    if rest.next()? != text {
                        return None;
                    }
                }
                Segment::Parameter(name) => parameters.push((name.clone(), decode(rest.next()?))),
                Segment::Rest(name) => {
                    let tail: Vec<&str> = rest.by_ref().collect();
                    parameters.push((name.clone(), decode(&tail.join("/"))));
                }
            }
        }
        rest.peek().is_none().then_some(parameters)
    }

    /// How specific the template is: literal segments count most, so `/users/me` wins over
    /// `/users/{id}` whatever the order operations were created in.
    fn specificity(&self) -> (usize, usize, bool) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let has_rest = self.segments.iter().any(|s| matches!(s, Segment::Rest(_)));
        (literals, self.segments.len(), !has_rest)
    }
}

impl Segment {
    fn from_text(text: &str) -> Self {
        let Some(name) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
            return Self::Literal(text.to_owned());
        };
        match name.strip_prefix('*') {
            Some(rest) => Self::Rest(rest.to_owned()),
            None => Self::Parameter(name.to_owned()),
        }
    }
}

/// An operation as routing sees it: method (or `*`), URL template, and the value to return.
#[derive(Debug)]
pub struct OperationRoute<O> {
    /// HTTP method, uppercase, or `*` for any.
    pub method: String,
    /// The URL template below the API's path.
    pub template: String,
    /// What the route resolves to.
    pub value: O,
}

/// A routing table over values of type `A` (APIs) holding values of type `O` (operations).
#[derive(Debug)]
pub struct Router<A, O> {
    by_path: HashMap<String, usize>,
    apis: Vec<ApiRoutes<A, O>>,
}

#[derive(Debug)]
struct ApiRoutes<A, O> {
    api: A,
    /// Most specific template first.
    operations: Vec<(String, UrlTemplate, O)>,
}

/// What a request path and method resolved to.
#[derive(Debug)]
pub enum Routed<'r, A, O> {
    /// No API serves the path.
    NoApi,
    /// The API serves the path but no operation matches method and template.
    NoOperation(&'r A),
    /// Both matched.
    Found {
        /// The API.
        api: &'r A,
        /// The operation.
        operation: &'r O,
        /// The template parameters.
        parameters: MatchedParameters,
    },
}

impl<A, O> Default for Router<A, O> {
    fn default() -> Self {
        Self {
            by_path: HashMap::default(),
            apis: Vec::new(),
        }
    }
}

impl<A, O> Router<A, O> {
    /// Adds an API served under `path` (no surrounding slashes) with its operations.
    /// Operations are kept most specific first.
    pub fn add_api(&mut self, path: &str, api: A, operations: Vec<OperationRoute<O>>) {
        let mut compiled: Vec<(String, UrlTemplate, O)> = operations
            .into_iter()
            .map(|route| {
                (
                    route.method,
                    UrlTemplate::parse(&route.template),
                    route.value,
                )
            })
            .collect();
        compiled.sort_by_key(|(_, template, _)| std::cmp::Reverse(template.specificity()));

        self.by_path.insert(path.to_owned(), self.apis.len());
        self.apis.push(ApiRoutes {
            api,
            operations: compiled,
        });
    }

    /// Resolves a request's path (as sent, without query) and method.
    pub fn route(&self, method: &str, path: &str) -> Routed<'_, A, O> {
        let Some((index, remainder)) = self.find_api(path) else {
            return Routed::NoApi;
        };
        let ApiRoutes { api, operations } = &self.apis[index];
        for (op_method, template, operation) in operations {
            if op_method != method && op_method != "*" {
                continue;
            }
            if let Some(parameters) = template.matches(remainder) {
                return Routed::Found {
                    api,
                    operation,
                    parameters,
                };
            }
        }
        Routed::NoOperation(api)
    }

    /// The API with the longest path that prefixes `path` on a segment boundary, and the rest.
    fn find_api<'p>(&self, path: &'p str) -> Option<(usize, &'p str)> {
        let trimmed = path.trim_start_matches('/');
        let mut end = trimmed.len();
        loop {
            let prefix = trimmed[..end].trim_end_matches('/');
            if let Some(&index) = self.by_path.get(prefix) {
                return Some((index, &trimmed[prefix.len()..]));
            }
            if end == 0 {
                return None;
            }
            end = trimmed[..end].rfind('/').unwrap_or(0);
        }
    }
}

fn split_path(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn decode(text: &str) -> String {
    gatehouse_policy::runtime::decode_path_segment(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<&'static str, &'static str> {
        let mut router = Router::default();
        let routes = [
            ("GET", "/resource", "get"),
            ("POST", "/resource", "post"),
            ("GET", "/users/{id}", "user"),
            ("GET", "/users/me", "me"),
            ("GET", "/files/{*path}", "files"),
        ];
        router.add_api("echo", "echo-api", routes.into_iter().map(route).collect());
        router.add_api("echo/v2", "echo-v2", vec![route(("*", "/", "any"))]);
        router.add_api(
            "",
            "root",
            vec![route(("GET", "/health?verbose={v}", "health"))],
        );
        router
    }

    fn route(
        (method, template, value): (&str, &str, &'static str),
    ) -> OperationRoute<&'static str> {
        OperationRoute {
            method: method.into(),
            template: template.into(),
            value,
        }
    }

    fn found(
        router: &Router<&'static str, &'static str>,
        method: &str,
        path: &str,
    ) -> Option<(&'static str, &'static str, MatchedParameters)> {
        match router.route(method, path) {
            Routed::Found {
                api,
                operation,
                parameters,
            } => Some((*api, *operation, parameters)),
            _ => None,
        }
    }

    #[test]
    fn api_by_longest_prefix_on_segment_boundaries() {
        let router = router();
        assert_eq!(found(&router, "GET", "/echo/resource").unwrap().1, "get");
        assert_eq!(found(&router, "DELETE", "/echo/v2").unwrap().0, "echo-v2");
        assert_eq!(found(&router, "GET", "/health").unwrap().0, "root");
        assert!(matches!(
            router.route("GET", "/echoes/resource"),
            Routed::NoOperation(&"root")
        ));
    }

    #[test]
    fn operation_by_method_and_template() {
        let router = router();
        assert_eq!(found(&router, "POST", "/echo/resource").unwrap().1, "post");
        assert!(matches!(
            router.route("PUT", "/echo/resource"),
            Routed::NoOperation(&"echo-api")
        ));
        assert!(matches!(
            router.route("GET", "/echo/resource/extra"),
            Routed::NoOperation(_)
        ));
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let router = router();
        assert_eq!(found(&router, "GET", "/echo/users/me").unwrap().1, "me");
        let (_, operation, parameters) = found(&router, "GET", "/echo/users/42").unwrap();
        assert_eq!(operation, "user");
        assert_eq!(parameters, vec![("id".to_owned(), "42".to_owned())]);
    }

    #[test]
    fn parameters_are_percent_decoded_and_rest_takes_the_tail() {
        let router = router();
        let (_, _, parameters) = found(&router, "GET", "/echo/users/a%20b").unwrap();
        assert_eq!(parameters[0].1, "a b");
        let (_, _, parameters) = found(&router, "GET", "/echo/files/x/y/z.txt").unwrap();
        assert_eq!(parameters[0], ("path".to_owned(), "x/y/z.txt".to_owned()));
        let (_, _, parameters) = found(&router, "GET", "/echo/users/%zz").unwrap();
        assert_eq!(parameters[0].1, "%zz", "an invalid escape stays as written");
    }

    #[test]
    fn no_api_without_a_root_api() {
        let mut router: Router<&str, &str> = Router::default();
        router.add_api("echo", "echo-api", vec![]);
        assert!(matches!(router.route("GET", "/other"), Routed::NoApi));
        assert!(matches!(router.route("GET", "/"), Routed::NoApi));
    }
}
