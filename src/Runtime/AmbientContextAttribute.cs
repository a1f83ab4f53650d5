using System;

namespace ContextAnalyzers.Runtime
{
    /// <summary>
    /// Declares a team's own ambient context to ContextAnalyzers: writes of it get the same checks as
    /// <c>Activity.Current</c> (CTX101: set and not restored; CTX206: set at the tail of an async flow, where the change is
    /// lost), and a <c>[ThreadStatic]</c> field or <c>ThreadLocal&lt;T&gt;</c> that holds its value type is reported as
    /// context in thread-local storage (CTX203). The analyzers match it by name; it does nothing at run time.
    /// <code>
    /// [AmbientContext]
    /// public static class TenantContext
    /// {
    ///     private static readonly AsyncLocal&lt;Tenant?&gt; s_current = new();
    ///     public static Tenant? Current { get => s_current.Value; set => s_current.Value = value; }
    /// }
    /// </code>
    /// </summary>
    /// <remarks>
    /// On a type: every static settable property and every static <c>AsyncLocal&lt;T&gt;</c> field of the type is ambient.
    /// On a static property or field: that member. Members of referenced assemblies are covered too. Writes inside the
    /// declaring type (its accessors, its scope type's constructor and <c>Dispose</c>) are its implementation and are
    /// not reported.
    /// </remarks>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = false)]
    public sealed class AmbientContextAttribute : Attribute
    {
    }
}
