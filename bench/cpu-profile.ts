/**
 * A V8 CPU profile of this process through its own inspector session, for
 * the benchmarks' optional profiles (PM_BENCH_PROFILE, TRACE_PROFILE).
 */
import fs from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import path from 'node:path'

export interface CpuProfiler {
  /** Stops the profile and returns it (a .cpuprofile's JSON). */
  stop: () => Promise<object>
  /** Stops it and writes it to `file` (directories made as needed). */
  stopTo: (file: string) => Promise<void>
}

/** Starts sampling every `intervalUs` microseconds. */
export async function startCpuProfile (intervalUs: number): Promise<CpuProfiler> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs })
  await session.post('Profiler.start')
  const stop = async (): Promise<object> => {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    return profile
  }
  return {
    stop,
    stopTo: async (file) => {
      const profile = await stop()
      await fs.mkdir(path.dirname(file), { recursive: true })
      await fs.writeFile(file, JSON.stringify(profile))
    }
  }
}
