import { printFigures, resetFigures } from '../src/figures.js'

export default function setup() {
  resetFigures()
  return () => printFigures()
}
