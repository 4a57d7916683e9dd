import FERData
import FERModel
import XCTest
@testable import FERTraining

/// The precedence that decides a run's settings: what was asked for, then (resuming) what the
/// run was started with, then the architecture's recipe.
final class ConfigurationResolverTests: XCTestCase {
    let launched: UInt64 = 7_000_000_000

    func resolve(_ request: TrainingRequest, stored: [String: String] = [:], trainCount: Int = 28_709) -> TrainingConfiguration {
        TrainingConfiguration.resolve(request, stored: stored, runDirectory: "runs/r", trainCount: trainCount,
                                      launched: launched, defaultThreads: 3)
    }

    func testANewRunWithoutFlagsIsVgg9ByItsRecipe() {
        let c = resolve(TrainingRequest())
        let recipe = TrainingRecipe.defaults(for: .vgg9)
        XCTAssertEqual(c.architecture, .vgg9)
        XCTAssertEqual(c.batchSize, 128)
        XCTAssertEqual(c.hyperparameters.learningRate, recipe.learningRate)
        // vgg9's peak rate is its own; the held-out comparison behind it did not cover vgg8 or vgg7.
        XCTAssertEqual(recipe.learningRate, 3e-3)
        XCTAssertEqual(TrainingRecipe.defaults(for: .vgg8).learningRate, 2e-3)
        XCTAssertEqual(TrainingRecipe.defaults(for: .vgg7).learningRate, 2e-3)
        XCTAssertEqual(c.hyperparameters.weightDecay, recipe.weightDecay)
        XCTAssertEqual(c.hyperparameters.labelSmoothing, recipe.labelSmoothing)
        // 28 709 images in steps of 128: 224.3 steps an epoch, so 60 epochs are 13458 steps, one
        // epoch's warm-up 224 steps, and an evaluation every 225 steps (once per epoch).
        XCTAssertEqual(c.totalSteps, 13458)
        XCTAssertEqual(c.warmupSteps, 224)
        XCTAssertEqual(c.evalEvery, 225)
        XCTAssertEqual(c.schedule, .cosine)
        XCTAssertEqual(c.augmentation, .standard)
        XCTAssertEqual(c.seed, 0)
        XCTAssertEqual(c.threads, 3)
        XCTAssertFalse(c.resume)
        XCTAssertEqual(c.runDirectory, "runs/r")
        XCTAssertEqual(c.deadline, launched + 58 * 60_000_000_000, "the recipe's 58 minutes, counted from launch")
        XCTAssertNil(c.weightAverageDecay, "the recipe's model is its raw weights")
    }

    func testTheWeightAverageComesFromTheFlagTheRunOrTheRecipe() {
        var off = TrainingRequest()
        off[TrainingFlags.averageDecay] = 0
        XCTAssertNil(resolve(off).weightAverageDecay, "0 asks for none")
        off[TrainingFlags.averageDecay] = 0.99
        XCTAssertEqual(resolve(off).weightAverageDecay, 0.99)

        var resumed = TrainingRequest()
        resumed[TrainingFlags.resume] = true
        var started = TrainingConfiguration(runDirectory: "runs/old")
        started.architecture = .vgg8
        started.weightAverageDecay = 0.995
        XCTAssertEqual(resolve(resumed, stored: started.metadata).weightAverageDecay, 0.995)
        started.weightAverageDecay = nil
        XCTAssertNil(resolve(resumed, stored: started.metadata).weightAverageDecay, "a run started without one goes on without")
        XCTAssertNil(resolve(resumed, stored: ["architecture": "vgg8", "total_steps": "900"]).weightAverageDecay,
                     "so does a run from before averaging existed")
    }

    func testMixupIsOffUnlessAskedAndAResumedRunKeepsIt() {
        XCTAssertTrue(resolve(TrainingRequest()).mixup.isNone)
        var asked = TrainingRequest()
        asked[TrainingFlags.mixup] = 0.2
        let c = resolve(asked)
        XCTAssertEqual(c.mixup, Mixup(alpha: 0.2))
        var resumed = TrainingRequest()
        resumed[TrainingFlags.resume] = true
        XCTAssertEqual(resolve(resumed, stored: c.metadata).mixup, Mixup(alpha: 0.2))
    }

    func testTheLongRecipeIsTheHoursRecipeLongerAndWithoutABudget() {
        var request = TrainingRequest()
        request[TrainingFlags.recipe] = .long
        let long = resolve(request), hour = resolve(TrainingRequest())
        XCTAssertEqual(long.recipe, .long)
        XCTAssertEqual(hour.recipe, .hour, "the hour's recipe is the default")
        // 100 epochs of 224.3 steps, rounded up.
        XCTAssertEqual(TrainingRecipe.longEpochs, 100)
        XCTAssertEqual(long.totalSteps, 22429)
        XCTAssertNil(long.deadline, "the long recipe runs in full, however long it takes")
        XCTAssertEqual(long.architecture, .vgg9)
        XCTAssertEqual(long.warmupSteps, hour.warmupSteps)
        XCTAssertEqual(long.hyperparameters, hour.hyperparameters)
        XCTAssertEqual(long.augmentation, hour.augmentation)
        XCTAssertEqual(long.evalEvery, hour.evalEvery)
        XCTAssertEqual(long.metadata["recipe"], "long")

        // Resumed without the flag, the run stays long (and its total is its own).
        var resumed = TrainingRequest()
        resumed[TrainingFlags.resume] = true
        let again = resolve(resumed, stored: long.metadata)
        XCTAssertEqual(again.recipe, .long)
        XCTAssertEqual(again.totalSteps, 22429)
        XCTAssertNil(again.deadline)
        // A run from before --recipe existed resumes as the hour's.
        XCTAssertEqual(resolve(resumed, stored: ["architecture": "vgg9", "total_steps": "900"]).recipe, .hour)

        // A budget asked for still applies.
        request[TrainingFlags.timeBudget] = 120
        XCTAssertEqual(resolve(request).deadline, launched + 120 * 60_000_000_000)
    }

    func testTeachersBringTheirWeightAndTemperatureAndAResumedRunKeepsThem() {
        let plain = resolve(TrainingRequest())
        XCTAssertEqual(plain.teachers, [])
        XCTAssertNil(plain.distillWeight)
        XCTAssertNil(plain.distillTemperature)
        XCTAssertNil(plain.metadata["teachers"], "a run without teachers stores no distillation keys")
        XCTAssertNil(plain.metadata["distill_weight"])

        var request = TrainingRequest()
        request[TrainingFlags.teachers] = ["/m/a.ferdash", "/m/b.ferdash"]
        let distilled = resolve(request)
        XCTAssertEqual(distilled.teachers, ["/m/a.ferdash", "/m/b.ferdash"])
        XCTAssertEqual(distilled.distillWeight, 0.5, "the default share")
        XCTAssertEqual(distilled.distillTemperature, 1, "the teachers' probabilities as they are")
        request[TrainingFlags.distillWeight] = 0.8
        request[TrainingFlags.distillTemperature] = 3
        let asked = resolve(request)
        XCTAssertEqual(asked.distillWeight, 0.8)
        XCTAssertEqual(asked.distillTemperature, 3)

        var resumed = TrainingRequest()
        resumed[TrainingFlags.resume] = true
        let again = resolve(resumed, stored: asked.metadata)
        XCTAssertEqual(again.teachers, ["/m/a.ferdash", "/m/b.ferdash"])
        XCTAssertEqual(again.distillWeight, 0.8)
        XCTAssertEqual(again.distillTemperature, 3)
        XCTAssertEqual(resolve(resumed, stored: plain.metadata).teachers, [], "a run without teachers resumes without")
    }

    func testTheSeedNetworkKeepsTheBookChaptersSettings() {
        var request = TrainingRequest()
        request[TrainingFlags.arch] = Architecture.seed
        let c = resolve(request)
        XCTAssertEqual(c.totalSteps, 1001)
        XCTAssertEqual(c.evalEvery, 100)
        XCTAssertEqual(c.schedule, .constant)
        XCTAssertEqual(c.hyperparameters.learningRate, 1e-3)
        XCTAssertEqual(c.hyperparameters.l2, 1e-2)
        XCTAssertEqual(c.augmentation, .none)
        XCTAssertNil(c.deadline, "the seed's recipe has no time budget")
    }

    func testAResumedRunContinuesWhatItWasStartedWith() {
        // What a run stores in its checkpoints, from settings no recipe would choose.
        var started = TrainingConfiguration(runDirectory: "runs/old")
        started.architecture = .seed
        started.batchSize = 32
        started.totalSteps = 5000
        started.seed = 42
        started.schedule = .cosine
        started.warmupSteps = 77
        started.scheduleFloor = 0.1
        started.hyperparameters = Hyperparameters(learningRate: 3e-4, l2: 0, weightDecay: 0.01, labelSmoothing: 0.05)
        started.augmentation = .standard
        var request = TrainingRequest()
        request[TrainingFlags.resume] = true
        let c = resolve(request, stored: started.metadata)
        XCTAssertEqual(c.architecture, .seed, "without --arch the run keeps its own network")
        XCTAssertEqual(c.batchSize, 32)
        XCTAssertEqual(c.totalSteps, 5000)
        XCTAssertEqual(c.seed, 42)
        XCTAssertEqual(c.schedule, .cosine)
        XCTAssertEqual(c.warmupSteps, 77)
        XCTAssertEqual(c.scheduleFloor, 0.1)
        XCTAssertEqual(c.hyperparameters.learningRate, 3e-4)
        XCTAssertEqual(c.hyperparameters.weightDecay, 0.01)
        XCTAssertEqual(c.hyperparameters.labelSmoothing, 0.05)
        XCTAssertEqual(c.augmentation, .standard)
        XCTAssertTrue(c.resume)
    }

    func testTheCommandThatStartedARunStaysWithIt() {
        var request = TrainingRequest()
        request.command = "ferdash train --steps 10"
        XCTAssertEqual(resolve(request).command, "ferdash train --steps 10")
        request[TrainingFlags.resume] = true
        request.command = "ferdash train --resume"
        XCTAssertEqual(resolve(request, stored: ["command": "ferdash train --arch seed"]).command, "ferdash train --arch seed")
    }

    func testAFlagBeatsTheStoredSettingWhichBeatsTheRecipe() {
        let stored = ["architecture": "vgg7", "batch_size": "64", "learning_rate": "0.0005", "seed": "9",
                      "augmentation": "none", "schedule": "constant"]
        var request = TrainingRequest()
        request[TrainingFlags.resume] = true
        request[TrainingFlags.learningRate] = 1e-4
        request[TrainingFlags.augment] = Augmentation.standard
        let c = resolve(request, stored: stored)
        XCTAssertEqual(c.hyperparameters.learningRate, 1e-4, "flag over stored")
        XCTAssertEqual(c.augmentation, .standard, "flag over stored")
        XCTAssertEqual(c.batchSize, 64, "stored over recipe")
        XCTAssertEqual(c.seed, 9, "stored over the default seed")
        XCTAssertEqual(c.schedule, .constant, "stored over recipe")
        XCTAssertEqual(c.hyperparameters.labelSmoothing, 0.1, "the recipe where neither says")
    }

    func testAnExplicitLengthRunsInFullUnlessABudgetIsAsked() {
        var steps = TrainingRequest()
        steps[TrainingFlags.steps] = 50
        let short = resolve(steps)
        XCTAssertEqual(short.totalSteps, 50)
        XCTAssertNil(short.deadline, "the recipe's budget belongs to the recipe's length")
        XCTAssertEqual(short.warmupSteps, 5, "the recipe's warm-up is capped at a tenth of a short run")

        steps[TrainingFlags.timeBudget] = 2
        XCTAssertEqual(resolve(steps).deadline, launched + 120_000_000_000)

        var noLimit = TrainingRequest()
        noLimit[TrainingFlags.timeBudget] = 0
        XCTAssertNil(resolve(noLimit).deadline, "0 minutes means no limit")

        var resumed = TrainingRequest()
        resumed[TrainingFlags.resume] = true
        XCTAssertNil(resolve(resumed, stored: ["total_steps": "900"]).deadline, "a resumed run's stored length runs in full")
    }

    func testEpochsBecomeStepsThroughTheTrainingSplit() {
        var request = TrainingRequest()
        request[TrainingFlags.epochs] = 2.5
        request[TrainingFlags.batchSize] = 10
        request[TrainingFlags.warmupEpochs] = 0.5
        let c = resolve(request, trainCount: 95)
        XCTAssertEqual(c.totalSteps, 24, "2.5 × 9.5 steps, rounded up")
        XCTAssertEqual(c.warmupSteps, 5, "0.5 × 9.5 steps, rounded")
        XCTAssertEqual(c.evalEvery, 10, "once per epoch, rounded up")
        request[TrainingFlags.epochs] = 0.001
        XCTAssertEqual(resolve(request, trainCount: 95).totalSteps, 1, "never zero steps")
    }
}
