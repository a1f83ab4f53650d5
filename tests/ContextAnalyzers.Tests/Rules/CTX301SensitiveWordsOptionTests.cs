using System.Globalization;
using ContextAnalyzers.Rules;
using Microsoft.CodeAnalysis;
using Options = ContextAnalyzers.Rules.CTX301SensitiveBaggageAnalyzer.BaggageOptions;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// Parsing of <c>ctx_analyzers.sensitive_words</c> and <c>ctx_analyzers.allowed_baggage_keys</c> (CTX301/CTX302/CTX399),
/// and the word matcher behind them, directly: add, remove, allow, invalid, and the matching rules.
/// </summary>
public class CTX301SensitiveWordsOptionTests
{
    [Fact]
    public void No_option_is_the_shared_default()
    {
        var options = Options.Parse(null, null);
        Assert.Same(Options.Default, options);
        Assert.Empty(options.Errors);
        Assert.Equal("email", options.Words.Match("user.email"));
    }

    [Theory]
    [InlineData("+patient")]
    [InlineData("patient")]
    [InlineData("  +patient  ,")]
    [InlineData(", +Patient")]
    public void Added_words_extend_the_defaults(string value)
    {
        var options = Options.Parse(value, null);
        Assert.Empty(options.Errors);
        Assert.Equal("patient", options.Words.Match("patient"));
        Assert.Equal("password", options.Words.Match("db.password"));
    }

    [Fact]
    public void Multi_word_entries_match_only_together()
    {
        var options = Options.Parse("+patient id, +medical_record", null);
        Assert.Empty(options.Errors);
        Assert.Equal("patient id", options.Words.Match("patientId"));
        Assert.Equal("medical record", options.Words.Match("x.medical.record"));
        Assert.Null(options.Words.Match("patient.count"));
        Assert.Null(options.Words.Match("record"));
    }

    [Fact]
    public void Removed_words_leave_the_other_defaults()
    {
        var options = Options.Parse("-address, -Ip Address", null);
        Assert.Empty(options.Errors);
        Assert.Null(options.Words.Match("shipping.address"));
        Assert.Null(options.Words.Match("client.ip_address"));
        Assert.Equal("email", options.Words.Match("email"));
    }

    [Fact]
    public void Allowed_keys_are_exact_and_ordinal()
    {
        var options = Options.Parse(null, "user.email.domain, session.token.kind");
        Assert.Empty(options.Errors);
        Assert.Contains("user.email.domain", options.AllowedKeys);
        Assert.DoesNotContain("User.Email.Domain", options.AllowedKeys);
        Assert.Equal(2, options.AllowedKeys.Count);
    }

    [Theory]
    [InlineData("+", "'+' is not a word list")]
    [InlineData("-", "'-' is not a word list")]
    [InlineData("+pass*word", "'+pass*word' is not a word list")]
    [InlineData("+a=b", "'+a=b' is not a word list")]
    [InlineData("-adress", "'-adress' removes 'adress', which is not a default sensitive entry")]
    [InlineData("+...", "'+...' is not a word list")]
    public void Invalid_entries_are_reported_and_ignored(string value, string error)
    {
        var options = Options.Parse(value + ", +patient", null);
        var (option, invalid) = Assert.Single(options.Errors);
        Assert.Equal(CTX301SensitiveBaggageAnalyzer.SensitiveWordsOption, option);
        Assert.Contains(error, Message(option, invalid), StringComparison.Ordinal);
        Assert.Equal("patient", options.Words.Match("patient"));
        Assert.Equal("password", options.Words.Match("password"));
    }

    [Fact]
    public void Invalid_allowed_keys_are_reported_and_ignored()
    {
        var options = Options.Parse(null, "ok.key, bad key, a/b");
        Assert.Equal(2, options.Errors.Length);
        Assert.All(options.Errors, e => Assert.Equal(CTX301SensitiveBaggageAnalyzer.AllowedKeysOption, e.Option));
        Assert.StartsWith("Option 'ctx_analyzers.allowed_baggage_keys' has an invalid value: 'bad key' is not a baggage key (a W3C token: no spaces, quotes, '(),/:;<=>?@[\\]{}'", Message(options.Errors[0].Option, options.Errors[0].Error), StringComparison.Ordinal);
        Assert.Contains("'a/b' is not a baggage key", Message(options.Errors[1].Option, options.Errors[1].Error), StringComparison.Ordinal);
        Assert.Equal(new[] { "ok.key" }, options.AllowedKeys);
    }

    [Theory]
    [InlineData("APIKey", "api key")]
    [InlineData("x_api_key", "api key")]
    [InlineData("apikey", "api key")]
    [InlineData("userSSN", "ssn")]
    [InlineData("ssn_last4", null)]
    [InlineData("password2", "password")]
    [InlineData("tokenBase64", "token")]
    [InlineData("creditCardNumber", "card number")]
    [InlineData("user.dateOfBirth", "date of birth")]
    [InlineData("e_mail", "email")]
    [InlineData("emailVerified", null)]
    [InlineData("passwordHash", null)]
    [InlineData("keyboard", null)]
    [InlineData("", null)]
    [InlineData("...", null)]
    [InlineData("kundenÜbersicht.email", "email")]
    public void Words_are_matched_at_the_end_of_the_name(string name, string? expected)
    {
        Assert.Equal(expected, Options.Default.Words.Match(name));
    }

    /// <summary>The CTX399 message the error becomes.</summary>
    private static string Message(string option, OptionError error) => error.ToDiagnostic(Location.None, option).GetMessage(CultureInfo.InvariantCulture);
}
