using System;
using System.Collections.Immutable;
using ContextAnalyzers.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ContextAnalyzers.Rules
{
    /// <summary>CTX302: a baggage value that carries a secret or personal data (its key not already flagged by CTX301).</summary>
    public sealed partial class CTX301SensitiveBaggageAnalyzer
    {
        private const string DataClassificationMetadataName = "Microsoft.Extensions.Compliance.Classification.DataClassificationAttribute";
        private const int MaxDepth = 8;

        private sealed partial class Analysis
        {
            // ------------------------------------------------------------------ CTX302

            private void CheckSensitiveValue(OperationAnalysisContext context, IInvocationOperation invocation, Entry entry, BaggageOptions options, string? writeKind)
            {
                if (entry.Value is null)
                {
                    return;
                }

                var found = FindSensitive(entry.Value, options.Words, 0);
                if (found is { } f)
                {
                    var (additional, properties) = ReportData(invocation, entry, writeKind);
                    context.ReportDiagnostic(Diagnostic.Create(f.Descriptor, entry.Value.Syntax.GetLocation(), additional, properties, f.Arguments));
                }
            }

            private (DiagnosticDescriptor Descriptor, object[] Arguments)? FindSensitive(IOperation operation, SensitiveWords words, int depth)
            {
                if (depth > MaxDepth)
                {
                    return null;
                }

                depth++;
                switch (operation)
                {
                    case IConversionOperation conversion:
                        return FindSensitive(conversion.Operand, words, depth);
                    case IParenthesizedOperation parenthesized:
                        return FindSensitive(parenthesized.Operand, words, depth);
                    case IInterpolatedStringOperation interpolated:
                        foreach (var part in interpolated.Parts)
                        {
                            if (part is IInterpolationOperation interpolation && FindSensitive(interpolation.Expression, words, depth) is { } inPart)
                            {
                                return inPart;
                            }
                        }

                        return null;
                    case IBinaryOperation binary:
                        return FindSensitive(binary.LeftOperand, words, depth) ?? FindSensitive(binary.RightOperand, words, depth);
                    case ICoalesceOperation coalesce:
                        return FindSensitive(coalesce.Value, words, depth) ?? FindSensitive(coalesce.WhenNull, words, depth);
                    case IConditionalOperation conditional:
                        return FindSensitive(conditional.WhenTrue, words, depth) ?? (conditional.WhenFalse is null ? null : FindSensitive(conditional.WhenFalse, words, depth));
                    case IConditionalAccessOperation access:
                        return FindSensitive(access.WhenNotNull, words, depth) ?? FindSensitive(access.Operation, words, depth);
                    case ILocalReferenceOperation local:
                        return Named(operation, local.Local.Name, words);
                    case IParameterReferenceOperation parameter:
                        return Named(operation, parameter.Parameter.Name, words) ?? Classified(operation, parameter.Parameter);
                    case IFieldReferenceOperation field:
                        return Named(operation, field.Field.Name, words) ?? Classified(operation, field.Field) ?? Qualified(operation, field.Instance, field.Field.Name, words);
                    case IPropertyReferenceOperation property:
                        return FindInProperty(property, words, depth);
                    case IInvocationOperation invocation:
                        return FindInInvocation(invocation, words, depth);
                    default:
                        return null;
                }
            }

            private (DiagnosticDescriptor Descriptor, object[] Arguments)? FindInProperty(IPropertyReferenceOperation property, SensitiveWords words, int depth)
            {
                var symbol = property.Property;
                if (symbol.IsIndexer)
                {
                    return property.Instance is null ? null : FindHeaderLookup(property, property.Instance.Type, property.Arguments, words);
                }

                // claim.Value / FindFirst(type)?.Value: the claim's type decides.
                if (symbol.Name == "Value" && symbol.ContainingType?.Name == "Claim" && property.Instance is { } claim)
                {
                    return FindSensitive(claim, words, depth);
                }

                // User.Identity.Name is the name claim.
                if (symbol.Name == "Name" && IsIdentity(symbol.ContainingType))
                {
                    return (Descriptors.SensitiveBaggageValueIdentityName, new object[] { Describe(property) });
                }

                return Named(property, symbol.Name, words) ?? Classified(property, symbol) ?? Qualified(property, property.Instance, symbol.Name, words);
            }

            /// <summary><c>session.Id</c>, <c>card.Number</c>: the receiver's name and the member's name read as one key.</summary>
            private static (DiagnosticDescriptor Descriptor, object[] Arguments)? Qualified(IOperation operation, IOperation? instance, string member, SensitiveWords words)
            {
                var receiver = instance switch
                {
                    ILocalReferenceOperation l => l.Local.Name,
                    IParameterReferenceOperation p => p.Parameter.Name,
                    IFieldReferenceOperation f => f.Field.Name,
                    IPropertyReferenceOperation p => p.Property.Name,
                    _ => null,
                };
                if (receiver is null)
                {
                    return null;
                }

                var name = receiver + "." + member;
                var match = words.Match(name);
                return match is null ? null : (Descriptors.SensitiveBaggageValue, new object[] { Describe(operation), name, match });
            }

            private (DiagnosticDescriptor Descriptor, object[] Arguments)? FindInInvocation(IInvocationOperation invocation, SensitiveWords words, int depth)
            {
                var method = invocation.TargetMethod;
                if (policy is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, policy))
                {
                    return null;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (ConstantString(argument.Value) is { } constant && ClaimDescription(constant, method.Name) is { } claim)
                    {
                        return (Descriptors.SensitiveBaggageValueClaim, new object[] { Describe(invocation), claim });
                    }
                }

                var receiverType = invocation.Instance?.Type ?? (method.IsExtensionMethod && invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value.Type : null);
                if (FindHeaderLookup(invocation, receiverType, invocation.Arguments, words) is { } header)
                {
                    return header;
                }

                if (Named(invocation, method.Name, words) is { } named)
                {
                    return named;
                }

                // Formatting keeps the data: user.Email.ToLowerInvariant(), password.ToString(), string.Concat(...), Convert.ToBase64String(...).
                var type = method.ContainingType;
                if (invocation.Instance is { } instance && (type?.SpecialType == SpecialType.System_String || method.Name == "ToString"))
                {
                    return FindSensitive(instance, words, depth);
                }

                if (method.IsStatic && type is not null && (type.SpecialType == SpecialType.System_String || IsSystemType(type, "Convert") || IsSystemType(type, "Uri")))
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        if (FindSensitive(argument.Value, words, depth) is { } inArgument)
                        {
                            return inArgument;
                        }
                    }
                }

                // request.Headers.GetValues("Authorization").First(): element operators keep the data.
                if (method.IsStatic && invocation.Arguments.Length > 0 && type is not null && type.Name == "Enumerable" &&
                    (method.Name.StartsWith("First", StringComparison.Ordinal) || method.Name.StartsWith("Single", StringComparison.Ordinal) ||
                     method.Name.StartsWith("Last", StringComparison.Ordinal) || method.Name.StartsWith("ElementAt", StringComparison.Ordinal)))
                {
                    return FindSensitive(invocation.Arguments[0].Value, words, depth);
                }

                if (method.Name == "GetBytes" && invocation.Arguments.Length == 1)
                {
                    return FindSensitive(invocation.Arguments[0].Value, words, depth);
                }

                return null;
            }

            private static (DiagnosticDescriptor Descriptor, object[] Arguments)? FindHeaderLookup(IOperation operation, ITypeSymbol? receiverType, ImmutableArray<IArgumentOperation> arguments, SensitiveWords words)
            {
                if (receiverType is null || arguments.Length == 0)
                {
                    return null;
                }

                if (ConstantString(arguments[0].Value) is not { } name)
                {
                    return null;
                }

                // These header names are specific enough to flag on any receiver (NameValueCollection, dictionaries, ...).
                if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    return (Descriptors.SensitiveBaggageValueHeader, new object[] { Describe(operation), name });
                }

                var typeName = receiverType.Name;
                if (typeName.IndexOf("Cookie", StringComparison.Ordinal) >= 0)
                {
                    return (Descriptors.SensitiveBaggageValueCookie, new object[] { Describe(operation), name });
                }

                if (typeName.IndexOf("Header", StringComparison.Ordinal) >= 0 && words.Match(name) is not null)
                {
                    return (Descriptors.SensitiveBaggageValueHeader, new object[] { Describe(operation), name });
                }

                return null;
            }

            private static (DiagnosticDescriptor Descriptor, object[] Arguments)? Named(IOperation operation, string name, SensitiveWords words)
            {
                // A flag, an enum or a cancellation token cannot carry the data its name mentions (hasPassword, TokenKind, cancellationToken).
                if (!CanCarryData(operation.Type))
                {
                    return null;
                }

                var match = words.Match(name);
                return match is null ? null : (Descriptors.SensitiveBaggageValue, new object[] { Describe(operation), name, match });
            }

            private (DiagnosticDescriptor Descriptor, object[] Arguments)? Classified(IOperation operation, ISymbol symbol)
            {
                if (dataClassification is null)
                {
                    return null;
                }

                foreach (var attribute in symbol.GetAttributes())
                {
                    for (var type = attribute.AttributeClass; type is not null; type = type.BaseType)
                    {
                        if (SymbolEqualityComparer.Default.Equals(type, dataClassification))
                        {
                            return (Descriptors.SensitiveBaggageValueClassified, new object[] { Describe(operation), symbol.Name, attribute.AttributeClass!.Name });
                        }
                    }
                }

                return null;
            }

            private static bool CanCarryData(ITypeSymbol? type) =>
                type is null ||
                (type.SpecialType != SpecialType.System_Boolean &&
                 type.TypeKind != TypeKind.Enum &&
                 type.Name != "CancellationToken" &&
                 !(type is INamedTypeSymbol { IsGenericType: true, Name: "Nullable" } nullable && nullable.TypeArguments[0].TypeKind == TypeKind.Enum));

            private static bool IsIdentity(INamedTypeSymbol? type)
            {
                if (type is null)
                {
                    return false;
                }

                if (type.Name == "IIdentity" || type.Name == "ClaimsIdentity")
                {
                    return true;
                }

                foreach (var i in type.AllInterfaces)
                {
                    if (i.Name == "IIdentity" && i.ContainingNamespace is { Name: "Principal", ContainingNamespace: { Name: "Security", ContainingNamespace: { Name: "System" } } })
                    {
                        return true;
                    }
                }

                return false;
            }

            private static bool IsSystemType(INamedTypeSymbol type, string name) =>
                type.Name == name && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

            private const string ClaimsPrefix = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

            /// <summary>The personal-data claim type a lookup names (without the schema prefix), or null.</summary>
            private static string? ClaimDescription(string value, string methodName)
            {
                string? claim = null;
                if (value.StartsWith(ClaimsPrefix, StringComparison.Ordinal))
                {
                    claim = value.Substring(ClaimsPrefix.Length);
                    switch (claim)
                    {
                        case "emailaddress":
                        case "name":
                        case "givenname":
                        case "surname":
                        case "mobilephone":
                        case "homephone":
                        case "otherphone":
                        case "dateofbirth":
                        case "streetaddress":
                        case "upn":
                            break;
                        default:
                            return null;
                    }
                }
                else if (methodName.StartsWith("Find", StringComparison.Ordinal) || methodName == "HasClaim")
                {
                    switch (value)
                    {
                        case "email":
                        case "name":
                        case "given_name":
                        case "family_name":
                        case "phone_number":
                        case "birthdate":
                        case "preferred_username":
                        case "upn":
                            claim = value;
                            break;
                        default:
                            return null;
                    }
                }

                return claim;
            }
        }
    }
}
