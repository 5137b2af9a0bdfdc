using System;
using System.ComponentModel;
using System.Linq;
using System.Reflection;
using Xunit;

namespace Pathwise.Tests;

/// <summary>What only generated code calls stays out of users' way: hidden from IntelliSense, in one namespace.</summary>
public sealed class PublicSurfaceTests
{
    private static readonly Assembly Runtime = typeof(INetwork<>).Assembly;

    [Fact]
    public void CompilerServices_TypesAreAllHidden()
    {
        Type[] services = Runtime.GetExportedTypes().Where(t => t.Namespace?.StartsWith("Pathwise.CompilerServices", StringComparison.Ordinal) == true).ToArray();
        Assert.Contains(services, t => t.Name == "Guard");
        Assert.Contains(services, t => t.Name == "DenseKernel");
        Assert.All(services, t => Assert.True(Hidden(t), $"{t.FullName} is not [EditorBrowsable(Never)]"));
    }

    [Fact]
    public void MembersOnlyGeneratedCodeCalls_AreHidden()
    {
        MemberInfo[] members =
        [
            .. typeof(Layer).GetConstructors(),
            .. typeof(InputLayer).GetConstructors(),
            .. typeof(NetworkInfo).GetConstructors(),
            typeof(ParameterSet<float>).GetMethod(nameof(ParameterSet<float>.Add))!,
            typeof(Workspace<float>).GetMethod(nameof(Workspace<float>.PathStart))!,
            typeof(Workspace<float>).GetMethod(nameof(Workspace<float>.PathStep))!,
            typeof(Workspace<float>).GetProperty(nameof(Workspace<float>.PathInputGradient))!,
            typeof(Workspace<float>).GetMethod(nameof(Workspace<float>.Check))!,
        ];
        Assert.All(members, m => Assert.True(Hidden(m), $"{m.DeclaringType?.Name}.{m.Name} is not [EditorBrowsable(Never)]"));
    }

    [Fact]
    public void UserTypes_AreNotHidden()
    {
        foreach (Type type in new[] { typeof(IntegratedGradients<>), typeof(Attribution<>), typeof(Workspace<>), typeof(LayerConductance<>) })
        {
            Assert.False(Hidden(type), type.Name);
        }
    }

    private static bool Hidden(MemberInfo member) =>
        member.GetCustomAttribute<EditorBrowsableAttribute>()?.State == EditorBrowsableState.Never;
}
