using System.IO;
using FashionMnist;
using Xunit;

namespace Pathwise.Samples.Tests;

/// <summary>
/// A test that reads Debian's Fashion-MNIST (<c>dataset-fashion-mnist</c>, which <c>.ci/run</c> installs): skipped, saying
/// how to install it, only when the folder is absent.
/// </summary>
public sealed class DatasetFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <see cref="FashionMnistData.DefaultDirectory"/> does not exist.</summary>
    public DatasetFactAttribute()
    {
        if (!Directory.Exists(FashionMnistData.DefaultDirectory))
        {
            Skip = $"{FashionMnistData.DefaultDirectory} is absent: run `apt-get update && apt-get install -y dataset-fashion-mnist` (.ci/run does).";
        }
    }
}
