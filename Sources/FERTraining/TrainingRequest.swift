import FERData
import FERModel

/// What a person asked for when starting or resuming a run: each flag's value, by the
/// `TrainingFlag` that asks for it (nil: not asked).
public struct TrainingRequest: Sendable {
    private var asked: [String: any Sendable] = [:]
    /// The command line asking for the run (a resumed run keeps the one that started it).
    public var command: String?
    public init() {}

    public subscript<T>(flag: TrainingFlag<T>) -> T? {
        get { asked[flag.name] as? T }
        set { asked[flag.name] = newValue }
    }
}

extension TrainingConfiguration {
    /// The run's settings, each taken as its entry in `schema` says: usually from the first of
    /// the request, then (on resume) what the run was started with (`stored`, its checkpoint's
    /// metadata), then the architecture's recipe, so a resumed run continues the same schedule
    /// to the same end. Pure: the caller reads the checkpoint and chooses the directory.
    ///
    /// - Parameters:
    ///   - trainCount: images in the training split (epochs become steps through it).
    ///   - launched: when the command started, on the session's clock; a time budget counts from here.
    ///   - defaultThreads: compute threads when the request names none.
    public static func resolve(_ request: TrainingRequest, stored: [String: String], runDirectory: String,
                               trainCount: Int, launched: UInt64, defaultThreads: Int,
                               schema: TrainingSchema = .standard) -> TrainingConfiguration {
        var configuration = TrainingConfiguration(runDirectory: runDirectory)
        configuration.schema = schema
        var resolution = SettingResolution(request: request, stored: stored, trainCount: trainCount, launched: launched,
                                           defaultThreads: defaultThreads, configuration: configuration)
        for setting in schema.settings { setting.resolve(into: &resolution) }
        return resolution.configuration
    }
}
