export const greet = (g) => `${g} from an ES module`;
