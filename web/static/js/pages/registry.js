// The app's sections, in menu order. A section registers itself with
//   register({path, title, mount(section), show(params), focus?(), signOut?()})
// mount builds its content once into its <section> (whose <h1> is the
// title); show runs each time the location's hash is #/path/params...
export const pages = [];

export function register(page) {
  pages.push(page);
}
