//! Corpus expressions that use the larger .NET library surface (symmetric encryption, LINQ to XML,
//! `StringBuilder`, `Array` statics, local functions, seeded `Random`, object member
//! initializers, `JProperty.Remove()`), evaluated against a built context. Each names its file
//! in `shared/corpus/apim-policies`; `{{named values}}` are replaced by test values. Cipher
//! texts and signatures were computed with OpenSSL and Python's `hmac`, not with Gatehouse.

mod support;

use std::sync::Arc;

use gatehouse_expr::context::MessageData;
use gatehouse_expr::{MessagePart, MessageRef, StaticHost, Value};
use support::{eval, eval_text};
use time::macros::datetime;

fn response(body: &str) -> Value {
    let data = MessageData {
        status_code: 200,
        status_reason: "OK".into(),
        headers: Arc::new([]),
        body: Some(Arc::from(body.as_bytes())),
    };
    Value::Message(MessageRef {
        data: Arc::new(data),
        part: MessagePart::Whole,
    })
}

#[test]
fn aes_decrypt_snippet() {
    // policy-snippets/Decrypt-AES-Data-using-policy-expressions.xml ("AES 192 bit")
    let decrypt = r#"@{
            byte[] inBytes = Convert.FromBase64String(context.Request.Body.As<JObject>().SelectToken("encrpText").ToString());
            byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
            byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
            byte[] decryptedBytes = inBytes.Decrypt("Aes", key, IV);
            return Encoding.UTF8.GetString(decryptedBytes);
         }"#;
    let host = StaticHost::default()
        .with_request_body(r#"{"encrpText":"kmHSOIwOHzXxPcyz4GresQ=="}"#)
        .with_variable("IV", "Dw4NDAsKCQgHBgUEAwIBAA==")
        .with_variable("key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX");

    assert_eq!(eval_text(decrypt, &host), "Hello, APIM!");
}

#[test]
fn aes_encrypt_snippet() {
    // policy-snippets/Encrypt-data-using-expressions.xml
    let encrypt = r#"@{

            string goober = (string)context.Request.MatchedParameters["Goober"];
            byte[] gooberBytes = Encoding.UTF8.GetBytes(goober);
            
            byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
            byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
            
            byte[] encryptedBytes = gooberBytes.Encrypt("Aes", key, IV);
            
            return Convert.ToBase64String(encryptedBytes);
        }"#;
    let host = StaticHost {
        matched_parameters: vec![("Goober".into(), "gooberValue".into())],
        ..StaticHost::default()
    }
    .with_variable("IV", "ABEiM0RVZneImaq7zN3u/w==")
    .with_variable("key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");

    assert_eq!(eval_text(encrypt, &host), "baEiynlLa4lHgg9nDn7aFQ==");
}

#[test]
fn xml_values_extracted_into_json() {
    // policy-snippets/Extracting-multiple-values-from-xml-documents.xml
    let extract = r#"@{

            var doc = XDocument.Parse(((IResponse)context.Variables["sendRequestResponse"]).Body.As<string>());

            var obj = new JObject();
            obj["conditionValue"] = doc.Descendants().Where(r=>r.Name.LocalName == "conditionValue").First().Value;
            obj["value1"] = doc.Descendants().Where(r=>r.Name.LocalName == "value1").First().Value;
            obj["value3"] = doc.Descendants().Where(r=>r.Name.LocalName == "value3").First().Value;

            return obj;

        }"#;
    let xml = "<message1>\n  <conditionValue>true</conditionValue>\n  <value1>MESSAGE1_TEST1</value1>\n  <value2>MESSAGE1_TEST2</value2>\n  <value3>MESSAGE1_TEST3</value3>\n</message1>";
    let host = StaticHost::default().with_variable("sendRequestResponse", response(xml));

    assert_eq!(
        eval_text(extract, &host),
        "{\n  \"conditionValue\": \"true\",\n  \"value1\": \"MESSAGE1_TEST1\",\n  \"value3\": \"MESSAGE1_TEST3\"\n}"
    );
    let condition = r#"@((bool)((JObject)context.Variables["jsonResponse"])["conditionValue"])"#;
    let parsed = eval(extract, &host);
    assert_eq!(
        eval(
            condition,
            &StaticHost::default().with_variable("jsonResponse", parsed)
        ),
        Value::Bool(true)
    );
}

/// policy-snippets/Filter-on-IP-Address-when-using-Application-Gateway.xml, with
/// `{{ipValidated}}` = `validated`.
const IP_FILTER: &str = r#"@{
            int HostToNetworkOrder(int host)
            {
                return (((int)HostToNetworkOrderShort((short)host) & 0xFFFF) << 16)
                    | ((int)HostToNetworkOrderShort((short)(host >> 16)) & 0xFFFF);
            }
            short HostToNetworkOrderShort(short host)
            {
                return (short)((((int)host & 0xFF) << 8) | (int)((host >> 8) & 0xFF));
            }
            
            string ipAddress = context.Request.Headers.GetValueOrDefault("x-forwarded-for",""); 
            if (!string.IsNullOrEmpty(ipAddress))
            {
                string[] tokens = ipAddress.Split(':'); 
                if(tokens.Length == 2) 
                { ipAddress = tokens[0]; } 
                List<string> cidrList = new List<string>(){
                    "10.0.0.0/8",
                    "172.16.0.0/12",
                    "192.168.0.0/16"
                };
                foreach (string cidrAddress in cidrList)
                {
                    string[] cidrParts = cidrAddress.Split('/');
                    string[] inputIPParts = ipAddress.Split('.');
                    string[] cidrIPArray = cidrParts[0].Split('.');

                    if (inputIPParts.Length == 4 && cidrIPArray.Length == 4)
                    {
                        byte[] inputIPBytes = new byte[] {Convert.ToByte(int.Parse(inputIPParts[0])), 
                            Convert.ToByte(int.Parse(inputIPParts[1])), 
                            Convert.ToByte(int.Parse(inputIPParts[2])),
                            Convert.ToByte(int.Parse(inputIPParts[3])), };
                        byte[] cidrIPBytes = new byte[] {Convert.ToByte(int.Parse(cidrIPArray[0])), 
                            Convert.ToByte(int.Parse(cidrIPArray[1])), 
                            Convert.ToByte(int.Parse(cidrIPArray[2])),
                            Convert.ToByte(int.Parse(cidrIPArray[3])), };
                
                        int cidrAddr = BitConverter.ToInt32(inputIPBytes,0);
                        int ipAddr = BitConverter.ToInt32(cidrIPBytes,0);
                        
                        var host = int.Parse(cidrParts[1]);
                        host = -1 << (32-host);
                        var mask = HostToNetworkOrder(host);
                        
                        if (((ipAddr & mask) == (cidrAddr & mask)))
                        {
                            return "validated";
                        }
                    }
                }
            }
            return ipAddress; }"#;

#[test]
fn ip_filter_local_functions() {
    let forwarded = |ip: &str| StaticHost::default().with_request_header("x-forwarded-for", ip);

    assert_eq!(
        eval_text(IP_FILTER, &forwarded("10.33.215.173:4711")),
        "validated"
    );
    assert_eq!(eval_text(IP_FILTER, &forwarded("172.31.0.9")), "validated");
    assert_eq!(eval_text(IP_FILTER, &forwarded("172.32.0.9")), "172.32.0.9");
    assert_eq!(eval_text(IP_FILTER, &forwarded("192.168.1.1")), "validated");
    assert_eq!(eval_text(IP_FILTER, &forwarded("8.8.8.8")), "8.8.8.8");
}

#[test]
fn comb_correlation_id() {
    // policy-snippets/Add-correlation-id-to-inbound-request.xml
    let comb = r#"@{ 
				var guidBinary = new byte[16];
				Array.Copy(Guid.NewGuid().ToByteArray(), 0, guidBinary, 0, 10);
				long time = DateTime.Now.Ticks;
				byte[] bytes = new byte[6];
				unchecked
				{
				       bytes[5] = (byte)(time >> 40);
				       bytes[4] = (byte)(time >> 32);
				       bytes[3] = (byte)(time >> 24);
				       bytes[2] = (byte)(time >> 16);
				       bytes[1] = (byte)(time >> 8);
				       bytes[0] = (byte)(time);
				}
				Array.Copy(bytes, 0, guidBinary, 10, 6);
				return new Guid(guidBinary).ToString();
			}"#;
    let host = StaticHost {
        now: Some(datetime!(2025-03-04 05:06:07 UTC)),
        ..StaticHost::default()
    };

    let id = eval_text(comb, &host);

    assert_eq!(id.len(), 36);
    assert!(
        id.ends_with("-80896345da5a"),
        "{id}: the low 48 bits of the ticks"
    );
}

#[test]
fn jwt_permissions_with_array_exists() {
    use base64::Engine;
    // policy-snippets/Parse-a-JWT-token-using-expressions.xml
    let check = r#"@{
                var jwt = (Jwt)context.Variables["valid-jwt"];
                var permissions = jwt.Claims["permissions"];
                return Array.Exists(permissions, element => element == "sendEmail");
            }"#;
    let token = |payload: &str| {
        let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let text = format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#), encode(payload));
        Value::Jwt(Arc::new(
            gatehouse_expr::Jwt::parse(&text).expect("a token"),
        ))
    };
    let allowed = StaticHost::default().with_variable(
        "valid-jwt",
        token(r#"{"permissions":["readEmail","sendEmail"]}"#),
    );
    let denied =
        StaticHost::default().with_variable("valid-jwt", token(r#"{"permissions":["readEmail"]}"#));

    assert_eq!(eval(check, &allowed), Value::Bool(true));
    assert_eq!(eval(check, &denied), Value::Bool(false));
}

#[test]
fn product_filter_removes_properties() {
    // policy-snippets/Filter-response-content-based-on-product-name.xml
    let filter = r#"@{
            var response = context.Response.Body.As<JObject>();
            foreach (var key in new [] {"current", "minutely", "hourly", "daily", "alerts"}) {
            response.Property (key).Remove ();
           }
          return response.ToString();
          }"#;
    let body = r#"{"lat":1,"current":{},"minutely":[],"hourly":[],"daily":[],"alerts":[]}"#;
    let host = StaticHost {
        response_body: Some(Arc::from(body.as_bytes())),
        ..StaticHost::default()
    };

    assert_eq!(eval_text(filter, &host), "{\n  \"lat\": 1\n}");
    let missing = StaticHost {
        response_body: Some(Arc::from(&br#"{"lat":1}"#[..])),
        ..StaticHost::default()
    };
    let error = support::expr(filter).evaluate(&missing).unwrap_err();
    assert_eq!(
        error.dotnet_message(),
        "Object reference not set to an instance of an object.",
        "Property() of a missing key is null, as in Newtonsoft"
    );
}

#[test]
fn cosmos_db_signature_with_an_initialized_hmac() {
    // policy-snippets/Query-CosmosDB.xml
    let authorization = r#"@{
          var verb = "post";
          var resourceType = "docs";
          var resourceLink = "";
          var key = "";
          var keyType = "master";
          var tokenVersion = "1.0";
          var date = context.Variables.GetValueOrDefault<string>("requestDateString");

          var hmacSha256 = new System.Security.Cryptography.HMACSHA256 { Key = Convert.FromBase64String(key) };  

          verb = verb ?? "";  
          resourceType = resourceType ?? "";
          resourceLink = resourceLink ?? "";

          string payLoad = string.Format("{0}\n{1}\n{2}\n{3}\n{4}\n",  
                  verb.ToLowerInvariant(),  
                  resourceType.ToLowerInvariant(),  
                  resourceLink,  
                  date.ToLowerInvariant(),  
                  ""  
          );  

          byte[] hashPayLoad = hmacSha256.ComputeHash(System.Text.Encoding.UTF8.GetBytes(payLoad));  
          string signature = Convert.ToBase64String(hashPayLoad);  

          return System.Uri.EscapeDataString(String.Format("type={0}&ver={1}&sig={2}",  
              keyType,  
              tokenVersion,  
              signature));
        }"#;
    let host =
        StaticHost::default().with_variable("requestDateString", "Tue, 04 Mar 2025 05:06:07 GMT");

    assert_eq!(
        eval_text(authorization, &host),
        "type%3Dmaster%26ver%3D1.0%26sig%3DeXUFlMGjxFCoBKL%2BKVM0L1U%2BVljciQKq5qLCCVFCKZs%3D"
    );
}

#[test]
fn seeded_random_picks_a_backend() {
    // policy-snippets/Random-load-balancer.xml
    let pick = "@(new Random(context.RequestId.GetHashCode()).Next(1, 3))";

    let Value::Int(n) = eval(pick, &StaticHost::default()) else {
        panic!("an int");
    };
    assert!((1..3).contains(&n), "{n}");
}

#[test]
fn backend_for_frontend_local_functions() {
    // policy-snippets/Backend-for-Frontend-or-curated-API-policy.xml (entities decoded)
    let aggregate = r#"@{
        JObject finalResponse       = new JObject(); 
        int     finalStatus         = 200;
        string  finalStatusReason   = "OK";    

          void ParseBody(JObject element, string propertyName, IResponse response){
              string body = "";
              if(response!=null){
                  body = response.Body.As<string>();
                  try{
                      var jsonBody = JToken.Parse(body);
                      element.Add(propertyName, jsonBody);
                  }
                  catch(Exception ex){
                      element.Add(propertyName, body);
                  }
              }
              else{
                  element.Add(propertyName, body);
              }
          }

          JObject PrepareResponse(string responseVariableName){ 
            JObject responseElement = new JObject();
            responseElement.Add("operation", responseVariableName);
                
            IResponse response = context.Variables.GetValueOrDefault<IResponse>(responseVariableName);
            if(response == null){
                finalStatus = 207;
                finalStatusReason = "Multi Status";
                ParseBody(responseElement, "error", response);
                return responseElement;
            }

            int status = response.StatusCode;
            responseElement.Add("status", status);

            if(status == 200){
                ParseBody(responseElement, "body", response);
            }
            else{
                finalStatus = 207; 
                finalStatusReason = "Multi Status";
                ParseBody(responseElement, "error", response);
            }
            return responseElement;
          }
            
          JArray finalResponseBody = new JArray();
          finalResponseBody.Add(PrepareResponse("operation1"));
          finalResponseBody.Add(PrepareResponse("operation2"));

          finalResponse.Add("body", finalResponseBody);
          finalResponse.Add("status", finalStatus);
          finalResponse.Add("reason", finalStatusReason);
          return finalResponse;
        }"#;
    let both = StaticHost::default()
        .with_variable("operation1", response(r#"{"a":1}"#))
        .with_variable("operation2", response("plain"));
    let one = StaticHost::default().with_variable("operation1", response(r#"{"a":1}"#));

    let all = eval_text(aggregate, &both);
    assert!(
        all.contains("\"status\": 200,\n  \"reason\": \"OK\""),
        "{all}"
    );
    assert!(all.contains("\"body\": \"plain\""), "{all}");
    let partial = eval_text(aggregate, &one);
    assert!(
        partial.contains("\"status\": 207,\n  \"reason\": \"Multi Status\""),
        "{partial}"
    );
}
