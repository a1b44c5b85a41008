using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Hosting;

/// <summary>
/// One way to register every settings section: bound from its configuration section, checked by the options class's
/// own <c>Validate()</c> (which throws naming the setting) at start (<c>ValidateOnStart</c>), and available both as
/// <see cref="IOptions{T}"/> and as the plain object the libraries take (Core and Storage do not depend on the options
/// framework).
/// </summary>
internal static class ValidatedOptions
{
    public static IServiceCollection AddValidatedOptions<T>(this IServiceCollection services, string section, Action<T> validate)
        where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ThrowingValidator<T>(validate));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services;
    }

    private sealed class ThrowingValidator<T>(Action<T> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            try
            {
                validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
