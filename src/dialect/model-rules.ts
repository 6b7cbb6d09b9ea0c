import type { ModelDef } from '../model/define-model.js'

/** What a model must respect on one engine family, checked before anything touches a database. */
export interface ModelRules {
  /** The family as users know it, in messages ("on MySQL/MariaDB"). */
  readonly title: string
  /** Longest table name the engine accepts, in bytes. */
  readonly tableNameBytes: number
  /**
   * What the model asks for that the engine cannot do, as messages. `where`: the suffix that names
   * the engine in a message (`' on MySQL/MariaDB'`), empty when the caller asked for one engine.
   */
  problems(def: ModelDef, where: string): string[]
}
