//! The mutable .NET objects and statics: `StringBuilder`, `Array`, byte arrays,
//! seeded `Random`, `Encrypt`/`Decrypt` with `Aes`, property setters and object member
//! initializers. Each row is an expression and the text its value prints as in .NET.

mod support;

use gatehouse_expr::StaticHost;
use support::{errors, eval_text, expr};

fn check_table(rows: &[(&str, &str)]) {
    let host = StaticHost::default();
    for (text, expected) in rows {
        let wrapped = if text.starts_with("@{") {
            (*text).to_owned()
        } else {
            format!("@({text})")
        };
        assert_eq!(eval_text(&wrapped, &host), *expected, "{text}");
    }
}

fn failure(text: &str) -> String {
    let host = StaticHost::default();
    match expr(text).evaluate(&host) {
        Ok(value) => panic!("{text} evaluated to {value:?}"),
        Err(error) => error.dotnet_message(),
    }
}

#[test]
fn string_builder_appends_inserts_and_replaces_in_place() {
    check_table(&[
        (
            r#"new StringBuilder("a").Append(1).Append('b').Append(true).ToString()"#,
            "a1bTrue",
        ),
        (r#"new StringBuilder().Append('-', 3).ToString()"#, "---"),
        (
            r#"new StringBuilder().Append("hello", 1, 3).ToString()"#,
            "ell",
        ),
        (
            r#"new StringBuilder().AppendLine("x").AppendLine().ToString()"#,
            "x\n\n",
        ),
        (
            r#"new StringBuilder().AppendFormat("{0}-{1:D3}", "a", 7).ToString()"#,
            "a-007",
        ),
        (
            r#"new StringBuilder("world").Insert(0, "hello ").ToString()"#,
            "hello world",
        ),
        (
            r#"new StringBuilder("a-b-c").Replace("-", "+").Replace('a', 'A').ToString()"#,
            "A+b+c",
        ),
        (
            r#"new StringBuilder("abcdef").Remove(1, 3).ToString()"#,
            "aef",
        ),
        (r#"new StringBuilder("abc").Length"#, "3"),
        (r#"new StringBuilder("abc")[1]"#, "b"),
        (r#"new StringBuilder("abc").ToString(1, 2)"#, "bc"),
        (r#"new StringBuilder("abc").Clear().Append("z")"#, "z"),
        (
            r#"@{ var sb = new StringBuilder(); var alias = sb; alias.Append("shared"); return sb.ToString(); }"#,
            "shared",
        ),
        (
            r#"@{ var sb = new StringBuilder("a,b,"); sb.Length--; return sb.ToString(); }"#,
            "a,b",
        ),
        (
            r#"@{ var sb = new StringBuilder("abc"); sb.Length = 1; sb[0] = 'z'; return sb.ToString(); }"#,
            "z",
        ),
        (
            r#"@{ var sb = new System.Text.StringBuilder(); foreach (var s in new[] {"x", "y"}) { sb.Append(s).Append(';'); } return $"{sb}"; }"#,
            "x;y;",
        ),
    ]);
}

#[test]
fn string_builder_errors_read_like_dotnet() {
    assert_eq!(
        failure(r#"@(new StringBuilder("abc").Remove(2, 5).ToString())"#),
        "Index was out of range. Must be non-negative and less than the size of the collection."
    );
    assert_eq!(
        failure(r#"@(new StringBuilder("abc").Replace("", "x").ToString())"#),
        "The value cannot be an empty string. (Parameter 'oldValue')"
    );
}

#[test]
fn string_builder_is_bounded_by_the_string_limit() {
    let message = failure(
        r#"@{ var sb = new StringBuilder("x"); while (true) { sb.Append(sb.ToString()); } }"#,
    );

    assert!(message.contains("string exceeded the limit"), "{message}");
}

#[test]
fn array_statics_copy_search_and_change_arrays_in_place() {
    check_table(&[
        (
            r#"@{ var b = new byte[4]; Array.Copy(new byte[] { 1, 2, 3 }, 0, b, 1, 3); return BitConverter.ToString(b); }"#,
            "00-01-02-03",
        ),
        (
            r#"@{ var a = new[] { "a", "b", "c" }; var c = new string[3]; Array.Copy(a, c, 2); return string.Join(",", c); }"#,
            "a,b,",
        ),
        (
            r#"Array.Exists(new[] { "read", "write" }, p => p == "write")"#,
            "True",
        ),
        (r#"Array.TrueForAll(new[] { 1, 2 }, n => n > 1)"#, "False"),
        (
            r#"Array.Find(new[] { "ab", "cd" }, s => s.StartsWith("c"))"#,
            "cd",
        ),
        (r#"Array.Find(new[] { 1, 2 }, n => n > 5)"#, "0"),
        (
            r#"Array.FindAll(new[] { 1, 2, 3 }, n => n != 2).Length"#,
            "2",
        ),
        (r#"Array.FindIndex(new[] { "a", "b" }, s => s == "b")"#, "1"),
        (r#"Array.IndexOf(new[] { "a", "b" }, "c")"#, "-1"),
        (
            r#"@{ var a = new[] { 3, 1, 2 }; Array.Sort(a); Array.Reverse(a); return string.Join("", a); }"#,
            "321",
        ),
        (
            r#"@{ var a = new[] { 1, 2, 3 }; Array.Clear(a, 0, 2); return string.Join("", a); }"#,
            "003",
        ),
        (r#"Array.Empty<string>().Length"#, "0"),
    ]);
}

#[test]
fn array_copy_checks_lengths_as_dotnet_does() {
    assert_eq!(
        failure(r#"@{ var b = new byte[2]; Array.Copy(new byte[] { 1, 2, 3 }, b, 3); return b; }"#),
        "Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')"
    );
}

#[test]
fn byte_arrays_are_writable_and_shared() {
    check_table(&[
        (
            r#"@{ var b = new byte[2]; var alias = b; alias[1] = (byte)0x1FF; return BitConverter.ToString(b); }"#,
            "00-FF",
        ),
        (
            r#"@{ long time = 0x0102030405; var b = new byte[2]; unchecked { b[0] = (byte)(time >> 8); b[1] = (byte)time; } return b[0] * 1000 + b[1]; }"#,
            "4005",
        ),
    ]);
}

#[test]
fn narrowing_casts_keep_the_bits_of_the_narrow_type() {
    check_table(&[
        ("(byte)300", "44"),
        ("(sbyte)200", "-56"),
        ("(short)0xFF00", "-256"),
        ("(ushort)(-1)", "65535"),
        ("(uint)(-1)", "4294967295"),
        ("(int)(short)(-2) & 0xFFFF", "65534"),
    ]);
}

#[test]
fn guids_and_bit_converter_round_trip_bytes() {
    check_table(&[
        (
            r#"new Guid(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff").ToByteArray())"#,
            "00112233-4455-6677-8899-aabbccddeeff",
        ),
        (
            r#"BitConverter.ToInt32(new byte[] { 1, 0, 0, 0, 2 }, 1)"#,
            "33554432",
        ),
        (
            r#"BitConverter.ToInt32(BitConverter.GetBytes(-5), 0)"#,
            "-5",
        ),
        (r#"Convert.ToByte(255)"#, "255"),
    ]);
    assert_eq!(
        failure("@(Convert.ToByte(256))"),
        "Arithmetic operation resulted in an overflow."
    );
}

#[test]
fn seeded_random_repeats_its_sequence() {
    check_table(&[
        (
            r#"@{ var a = new Random(42); var b = new Random(42); return a.Next(0, 1000) == b.Next(0, 1000) && a.Next() == b.Next(); }"#,
            "True",
        ),
        (r#"new Random(7).Next(5, 6)"#, "5"),
        (r#"new Random(-3).NextDouble() < 1.0"#, "True"),
    ]);
    assert_eq!(
        failure("@(new Random(1).Next(-1))"),
        "'maxValue' must be greater than or equal to zero. (Parameter 'maxValue')"
    );
}

#[test]
fn encrypt_and_decrypt_follow_apims_signatures() {
    let key = "Convert.FromBase64String(\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\")";
    let iv = "Convert.FromBase64String(\"AAECAwQFBgcICQoLDA0ODw==\")";
    let round_trip = format!(
        r#"@{{ var key = {key}; var iv = {iv}; var c = Encoding.UTF8.GetBytes("goober").Encrypt("Aes", key, iv); return Encoding.UTF8.GetString(c.Decrypt("Aes", key, iv)); }}"#
    );
    let with_object = format!(
        r#"@{{ var aes = Aes.Create(); aes.Key = {key}; aes.IV = {iv}; var c = Encoding.UTF8.GetBytes("goober").Encrypt(aes); return Convert.ToBase64String(c) == Convert.ToBase64String(Encoding.UTF8.GetBytes("goober").Encrypt("Aes", {key}, {iv})) && Encoding.UTF8.GetString(c.Decrypt(aes)) == "goober"; }}"#
    );
    let overload = format!(
        r#"@{{ var aes = new RijndaelManaged(); var c = new byte[] {{ 1, 2, 3 }}.Encrypt(aes, {key}, {iv}); return c.Decrypt(aes, {key}, {iv}).Length; }}"#
    );
    let initializer = format!(
        r#"@{{ var aes = new AesManaged {{ Mode = CipherMode.CBC, Padding = PaddingMode.PKCS7, Key = {key}, IV = {iv} }}; return aes.KeySize + " " + aes.BlockSize + " " + aes.Mode + " " + aes.Padding; }}"#
    );
    check_table(&[
        (round_trip.as_str(), "goober"),
        (with_object.as_str(), "True"),
        (overload.as_str(), "3"),
        (initializer.as_str(), "256 128 CBC PKCS7"),
    ]);
}

#[test]
fn encryption_failures_are_cryptographic_exceptions() {
    assert_eq!(
        failure(r#"@(new byte[] { 1 }.Encrypt("Aes", new byte[5], new byte[16]))"#),
        "Specified key is not a valid size for this algorithm."
    );
    assert_eq!(
        failure(r#"@(new byte[] { 1 }.Encrypt("Aes", new byte[16], new byte[8]))"#),
        "Specified initialization vector (IV) does not match the block size for this algorithm."
    );
    assert_eq!(
        failure(r#"@(new byte[] { 1, 2 }.Decrypt("Aes", new byte[16], new byte[16]))"#),
        "The input data is not a complete block."
    );
    assert!(
        failure(r#"@(new byte[] { 1 }.Encrypt("TripleDES", new byte[24], new byte[8]))"#)
            .contains("AES only")
    );
    assert_eq!(
        failure(
            r#"@{ try { return new byte[16].Decrypt("Aes", new byte[16], new byte[16]); } catch (CryptographicException e) { throw new Exception("caught: " + e.Message); } }"#
        ),
        "caught: Padding is invalid and cannot be removed."
    );
}

#[test]
fn hmac_keys_can_be_set_by_initializer() {
    check_table(&[(
        r#"@{ var h = new System.Security.Cryptography.HMACSHA256 { Key = Encoding.UTF8.GetBytes("Jefe") }; return BitConverter.ToString(h.ComputeHash(Encoding.UTF8.GetBytes("what do ya want for nothing?"))).Replace("-", "").Substring(0, 8); }"#,
        "5BDCC146",
    )]);
}

#[test]
fn read_only_properties_and_unknown_initializers_are_refused() {
    assert_eq!(
        errors(r#"@{ var s = "abc"; s.Length = 1; return s; }"#),
        vec!["property 'string.Length' cannot be assigned to: it is read only"]
    );
    assert_eq!(
        errors(r#"@(new StringBuilder { Capacity = 4 })"#),
        vec!["'StringBuilder' has no property 'Capacity' that Gatehouse can set"]
    );
}

#[test]
fn local_functions_are_called_before_their_declaration_and_capture_variables() {
    check_table(&[
        (
            r#"@{ int Twice(int x) { return 2 * x; } return Twice(21); }"#,
            "42",
        ),
        (r#"@{ return Half(10); int Half(int x) => x / 2; }"#, "5"),
        (
            r#"@{ var total = 0; void Add(int n) { total += n; } Add(2); Add(3); return total; }"#,
            "5",
        ),
        (
            r#"@{ int A(int x) { return B(x) + 1; } int B(int x) { return x * 10; } return A(4); }"#,
            "41",
        ),
        (
            r#"@{ int Fact(int n) { if (n <= 1) { return 1; } var rest = Fact(n - 1); return n * rest; } return Fact(5); }"#,
            "120",
        ),
        (
            r#"@{ string Greet(string name) { var text = "hi " + name; return text; } return Greet("a") + "," + Greet("b"); }"#,
            "hi a,hi b",
        ),
        (
            r#"@{ JToken Wrap(string s) => s; return Wrap("x").Type; }"#,
            "String",
        ),
        (
            r#"@{ short Swap(short v) { return (short)((((int)v & 0xFF) << 8) | ((v >> 8) & 0xFF)); } return Swap((short)0x0102); }"#,
            "513",
        ),
    ]);
}

#[test]
fn local_function_recursion_is_bounded_by_the_depth_limit() {
    let message =
        failure(r#"@{ int Forever(int n) { return Forever(n + 1); } return Forever(0); }"#);

    assert!(message.contains("nesting limit"), "{message}");
}

#[test]
fn local_function_mistakes_are_reported() {
    assert_eq!(
        errors(r#"@{ int F(int x) { if (x > 0) { return 1; } } return F(1); }"#),
        vec!["not all code paths of the local function return a value"]
    );
    assert_eq!(
        errors(r#"@{ int F(int x) => x; return F(1, 2); }"#),
        vec!["the local function 'F' takes 1 arguments, not 2"]
    );
    assert_eq!(
        errors(r#"@{ int F(int x) => x; return F("a"); }"#),
        vec!["cannot implicitly convert type 'string' to 'int'"]
    );
    assert_eq!(
        errors(r#"@{ void F() { return 1; } F(); return 0; }"#),
        vec!["a 'void' local function cannot return a value"]
    );
    assert_eq!(
        errors(r#"@{ void F(ref int x) { } return 0; }"#),
        vec!["'ref' parameters are not supported by Gatehouse"]
    );
    assert_eq!(
        errors(r#"@{ T F<T>(T x) => x; return F(1); }"#),
        vec!["generic local functions are not supported by Gatehouse"]
    );
    assert_eq!(
        errors(r#"@{ int F() => 1; var g = F; return g; }"#),
        vec!["the local function 'F' can only be called, not used as a value"]
    );
}
